package core

import "context"

// Handler handles one record. It receives the invocation's context (with the
// Lambda context and deadline, see lambdacontext.FromContext) and a pointer to
// the record inside the batch, which it must not retain after it returns.
// The record counts as succeeded only when the handler returns nil: a
// returned error, a panic or runtime.Goexit fails that record alone.
//
// Sources whose response carries a value per record (Firehose, S3 Batch
// Operations, tumbling windows) take typed handlers of their own packages.
type Handler[R any] func(ctx context.Context, record *R) error
