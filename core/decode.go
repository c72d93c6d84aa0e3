package core

import (
	"fmt"
)

// RecordDecodeError is the error of a record that the raw-bytes entry could
// not decode: it is reported failed, by the identifier that could still be
// read from it (Identifier), and its handler is not called. When even the
// identifier cannot be read, the invocation returns a
// [UnidentifiableFailureError] wrapping this error, so that Lambda
// retries the batch and no record is lost. Its ordering key (message group,
// partition key, item keys) is read from its bytes too, so that it stops
// what any failure of its key stops; when even that cannot be read, every
// later record with a key is stopped under a stop-by-key policy (see
// [Batch.FailUnknownKey]). Fix the producer of the record, or let the
// queue's redrive policy move it to a dead-letter queue.
type RecordDecodeError struct {
	// Position is the record's position in the Records array.
	Position int
	// Identifier is the record's message id or sequence number, "" when it
	// could not be read.
	Identifier string
	// Err says what is wrong with the record, for example an
	// events.UnsupportedDynamoDBTypeError or a base64 error.
	Err error

	// KeyUnknown is true when the record's ordering key could not be read
	// either: under a stop-by-key policy every later record with a key is
	// then stopped ([Batch.FailUnknownKey]).
	KeyUnknown bool
}

// Error says which record could not be decoded and why.
func (e *RecordDecodeError) Error() string {
	id := e.Identifier
	if id == "" {
		id = "no readable identifier"
	}
	return fmt.Sprintf("batchkit: record %d (%s) could not be decoded: %v", e.Position, id, e.Err)
}

// Unwrap returns the decoding error.
func (e *RecordDecodeError) Unwrap() error { return e.Err }

// Is matches [ErrDecode].
func (e *RecordDecodeError) Is(target error) bool { return target == ErrDecode }
