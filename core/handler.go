package core

import "context"

// Handler handles one record. It receives the invocation's context (with the
// Lambda context and deadline, see lambdacontext.FromContext) and a pointer to
// the record inside the batch, which it must not retain after it returns. A
// returned error, or a panic, fails that record alone. The result, if any, is
// kept in the record's [Outcome].
//
// Most handlers only return an error: wrap them with [Func]. Handlers that
// produce a value use [WithResult].
type Handler[R any] func(ctx context.Context, record *R) (result any, err error)

// Func adapts a handler that returns only an error.
func Func[R any](f func(ctx context.Context, record *R) error) Handler[R] {
	return func(ctx context.Context, record *R) (any, error) { return nil, f(ctx, record) }
}

// WithResult adapts a handler that returns a typed result, which is kept in
// the record's [Outcome.Result] (boxed as any).
func WithResult[R, T any](f func(ctx context.Context, record *R) (T, error)) Handler[R] {
	return func(ctx context.Context, record *R) (any, error) {
		v, err := f(ctx, record)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}
