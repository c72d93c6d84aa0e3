package config

import (
	"errors"

	"github.com/batchkit/batchkit/core"
)

// The functions given to Register and RegisterHook are user code: they run
// under recover, and so does walking the chains of the errors they return.
// (Their messages are read through fmt, which recovers a panicking Error
// method itself.)

// guard runs f under recover: a panic is returned as a [*core.PanicError]
// whose Where is where.
func guard[T any](where string, f func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe := core.NewPanicError(r)
			pe.Where = where
			var zero T
			v, err = zero, pe
		}
	}()
	return f()
}

// asConfigError is errors.As(err, &ce) under recover (a user error's Unwrap
// or As may panic): nil when err holds no [*core.ConfigError].
func asConfigError(err error) (ce *core.ConfigError) {
	defer func() {
		if recover() != nil {
			ce = nil
		}
	}()
	errors.As(err, &ce)
	return ce
}
