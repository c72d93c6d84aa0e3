// Package payload decodes a record's payload (a message body, a stream
// record's data, a new image, a Kafka value) into the handler's Go type and
// validates it: the one place where batchkit turns bytes into a user type.
//
// A payload type validates itself with a method
//
//	func (o *Order) Validate() error
//
// on the type or on its pointer. Every typed entry of batchkit
// (processors.SQSJSON, envelope, kafkapayload, firehose, s3batch, window)
// decodes with [Decode] and validates with [Validate], so the rules are the
// same everywhere: a payload that does not decode fails its record with a
// [*DecodeError] (matching core.ErrDecode); one whose Validate fails it, with
// an error matching [ErrInvalid] that wraps Validate's error; a pointer type
// that decoded to nil (JSON null) fails with [ErrNilPayload] rather than
// reaching the handler. A Validate that panics fails its record with a
// *core.PanicError (Where "Validate"), also matching [ErrInvalid].
//
//	o, err := payload.Decode[*Order]("SQS body", body)
//	if errors.Is(err, payload.ErrInvalid) { ... }
package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/batchkit/batchkit/core"
)

// validator is implemented by payload types that check themselves.
type validator interface {
	Validate() error
}

// DecodeError is the error of a record whose payload could not be decoded
// into the handler's type. The record fails alone and is still reported by
// its identifier.
type DecodeError struct {
	// What names the payload: "SQS body", "Kinesis data", "DynamoDB NewImage".
	What string
	// Type is the Go type it was decoded into.
	Type string
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("batchkit: %s does not decode into %s: %v", e.What, e.Type, e.Err)
}

// Unwrap returns the decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is matches [core.ErrDecode], as every decode error of batchkit does.
func (e *DecodeError) Is(target error) bool { return target == core.ErrDecode }

// The package's sentinels, matched with errors.Is.
var (
	// ErrInvalid matches every error of a payload that failed its Validate
	// method (see [Validate]).
	ErrInvalid = errors.New("batchkit: payload is invalid")
	// ErrNilPayload: a payload of a pointer type that validates itself
	// decoded to nil (the JSON was null), so it could not be validated.
	ErrNilPayload = errors.New("batchkit: the payload is null, so it cannot be validated")
)

// invalidError is the error of a payload that failed its Validate method.
type invalidError struct {
	typ string
	err error
}

func (e *invalidError) Error() string {
	return fmt.Sprintf("batchkit: payload of type %s is invalid: %v", e.typ, e.err)
}

func (e *invalidError) Unwrap() error { return e.err }

func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Decode decodes the JSON data into a T and validates it with [Validate].
// what names the payload in the [*DecodeError] ("SQS body", "Kinesis data").
func Decode[T any](what string, data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, &DecodeError{What: what, Type: fmt.Sprintf("%T", v), Err: err}
	}
	return v, Validate(&v)
}

// Validate calls the Validate() error method of *v or of v (a value
// receiver, or T a pointer type such as *Order), whichever exists, and
// returns nil when there is none. An error of that method is returned
// wrapped in an error matching [ErrInvalid] that names the type; a nil
// pointer with a Validate method is [ErrNilPayload] (also matching
// ErrInvalid); a Validate that panics is a *core.PanicError whose Where is
// "Validate" (also matching ErrInvalid): the record fails alone.
func Validate[T any](v *T) error {
	if err := validate(v); err != nil {
		return &invalidError{typ: reflect.TypeFor[T]().String(), err: err}
	}
	return nil
}

func validate[T any](v *T) (err error) {
	val, ok := any(v).(validator)
	if !ok {
		if val, ok = any(*v).(validator); !ok {
			return nil
		}
		if rv := reflect.ValueOf(*v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return ErrNilPayload
		}
	}
	defer func() {
		if p := recover(); p != nil {
			pe := core.NewPanicError(p)
			pe.Where = "Validate"
			err = pe
		}
	}()
	return val.Validate()
}
