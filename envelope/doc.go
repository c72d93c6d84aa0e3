// Package envelope opens records as they really arrive: an SQS message whose
// body is an SNS notification, an S3 event notification (directly or through
// SNS), an EventBridge event delivered to SQS or Kinesis, or the gzip data that
// a CloudWatch Logs subscription writes to Kinesis. The handler receives the
// innermost payload decoded into its own Go type, validated (a Validate
// method, see [payload.Validate]), together with the source record and what every
// layer read on the way ([Meta]).
//
// [Wrap] builds the handler from a [Config] naming the layers, outermost
// first. An S3 notification published to an SNS topic that an SQS queue
// subscribes to:
//
//	h := envelope.Wrap(envelope.Config[events.SQSMessage]{
//		Layers: []envelope.Layer{envelope.SNS(), envelope.S3()},
//	}, handleObject)
//	// handleObject(ctx context.Context, rec events.S3EventRecord, m *envelope.Meta[events.SQSMessage]) error
//
// The outermost payload is the body of an events.SQSMessage, the data of an
// events.KinesisEventRecord, or what [Config.Data] reads from a record of
// another type. The handler finds what the built-in layers read with the
// methods of its [Meta] (m.SNS(), m.S3(), ...), and what every layer read in
// m.Layers.
//
// The result is a [core.Handler], the same shape as processors.SQSJSON, so it
// runs on every entry (core.Process, the Lambda adapters, EventBridge Pipes)
// with the processor's lifecycle unchanged: a record that does not unwrap
// ([*UnwrapError]), decode ([*payload.DecodeError]) or validate
// ([payload.ErrInvalid], with [payload.Validate], the one validation
// of batchkit) fails alone (the first two match core.ErrDecode), is reported by its own record's identifier, and under an
// ordering policy (SQS FIFO, streams with stop-on-failure) stops what any
// failure stops, since it is an ordinary handler failure.
//
// A layer may hold several payloads (an S3 notification's Records, the log
// events of a CloudWatch Logs record): the handler is then called once per
// payload, in order, and stops at the first failure, which fails the whole
// source record (wrapped in an [*UnwrapError] matching [ErrPart] that names
// the payload); the source record is retried as a whole, so handlers must be
// idempotent, as they must be for any redelivery.
//
// A layer may also say that a record holds nothing to handle: the S3 test
// event (s3:TestEvent), a CloudWatch Logs CONTROL_MESSAGE, an SNS
// subscription confirmation. Such a record succeeds without calling the
// handler; to log or count them, set [Config.OnSkip], which receives the
// reason and, as the last of m.Layers, the layer that skipped and what it
// read (see [Skip]):
//
//	h := envelope.Wrap(envelope.Config[events.SQSMessage]{
//		Layers: []envelope.Layer{envelope.S3()},
//		OnSkip: func(ctx context.Context, reason string, m *envelope.Meta[events.SQSMessage]) {
//			slog.InfoContext(ctx, "skipped", "reason", reason, "id", m.Record.MessageId)
//		},
//	}, handleObject)
//
// User-written envelopes plug in the same way: implement [Layer], or wrap a
// function with [NewLayer]. Every user-written layer runs under recover: a
// panic fails its record with a *core.PanicError.
//
// The package uses the standard library only (encoding/json, compress/gzip).
package envelope
