package core

// Status is what happened to one record.
type Status uint8

const (
	// StatusPending: the record has no outcome (yet). A pending outcome
	// never counts as a success: a record still pending when its batch
	// ends is reported failed with an [*UnhandledError] (ErrAbandoned).
	StatusPending Status = iota
	// StatusSuccess: the handler returned no error.
	StatusSuccess
	// StatusFailure: the handler returned an error or panicked, or the
	// record could not be decoded.
	StatusFailure
	// StatusNotStarted: the record was not handed to the handler, because of
	// an earlier failure, the deadline margin or a done context (see
	// [UnhandledError]). It is reported failed.
	StatusNotStarted
)

func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusSuccess:
		return "success"
	case StatusFailure:
		return "failure"
	case StatusNotStarted:
		return "not started"
	}
	return "unknown"
}

// Outcome is the result of one record: Powertools' "processed message".
type Outcome struct {
	// Status says whether the record succeeded, failed or was not started.
	Status Status
	// Err is the handler's error, a [*PanicError], an [*UnhandledError]
	// or a decoding error; nil on success.
	Err error
	// Result is what a processor's ProcessRecord recorded with the success
	// (see [Success]), for example a deduplicating processor's "duplicate";
	// nil for a plain [Handler]'s success.
	Result any
}

// Failed reports whether the record is to be reported failed: it failed, was
// not started, or has no outcome. Only a success is not failed.
func (o Outcome) Failed() bool { return o.Status != StatusSuccess }

// Success returns a successful outcome carrying result (nil for none).
func Success(result any) Outcome { return Outcome{Status: StatusSuccess, Result: result} }

// Failure returns a failed outcome carrying err.
func Failure(err error) Outcome { return Outcome{Status: StatusFailure, Err: err} }
