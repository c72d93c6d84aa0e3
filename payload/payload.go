// Package payload decodes a record's payload (a message body, a stream
// record's data, a new image, a Kafka value) into the handler's Go type and
// validates it: the one place where batchkit turns bytes into a user type.
// A payload that does not decode fails its record with a [*DecodeError]; a
// type with a Validate method ([Validator]) that fails it, with a
// [*ValidationError].
package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/batchkit/batchkit/core"
)

// Validator is implemented by payload types that check themselves. A typed
// payload whose type (or pointer to it) has a Validate method is validated
// after decoding; an error fails the record with a [*ValidationError]. This
// holds for pointer payload types too (SQSJSON[*Order] validates the *Order;
// a JSON null, which decodes to a nil pointer, fails validation instead of
// reaching the handler).
type Validator interface {
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
	// ErrInvalid matches every [*ValidationError].
	ErrInvalid = errors.New("batchkit: payload is invalid")
	// ErrNilPayload: a payload of a pointer type that validates itself
	// decoded to nil (the JSON was null), so it could not be validated.
	ErrNilPayload = errors.New("batchkit: the payload is null, so it cannot be validated")
)

// ValidationError is the error of a record whose decoded payload failed its
// Validate method.
type ValidationError struct {
	// Type is the payload's Go type.
	Type string
	Err  error
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("batchkit: payload of type %s is invalid: %v", e.Type, e.Err)
}

// Unwrap returns Validate's error.
func (e *ValidationError) Unwrap() error { return e.Err }

// Is matches [ErrInvalid].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Decode decodes the JSON data into a T and validates it. what names the
// payload in the [*DecodeError] ("SQS body", "Kinesis data").
func Decode[T any](what string, data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, &DecodeError{What: what, Type: fmt.Sprintf("%T", v), Err: err}
	}
	if err := Validate(&v); err != nil {
		return v, &ValidationError{Type: reflect.TypeFor[T]().String(), Err: err}
	}
	return v, nil
}

// Validate calls the Validate method of *v or of v (a value receiver, or T a
// pointer type such as *Order), whichever exists; a nil pointer with a
// Validate method is [ErrNilPayload]. A Validate that panics returns a
// *core.PanicError whose Where is "Validate": the record fails alone.
func Validate[T any](v *T) (err error) {
	val, ok := any(v).(Validator)
	if !ok {
		if val, ok = any(*v).(Validator); !ok {
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

// Validates reports whether [Validate] would call a Validate method for a
// T: *T or T implements [Validator]. Callers that decode many values of one
// type compute it once.
func Validates[T any]() bool {
	if _, ok := any((*T)(nil)).(Validator); ok {
		return true
	}
	var zero T
	_, ok := any(zero).(Validator)
	return ok
}
