// Package config chooses and configures a processor at run time, so that one
// build of a Lambda function serves a standard or FIFO queue, sequential or
// concurrent, with hooks on or off, as its environment says. A function that
// builds its processor in code (processors.NewSQS(processors.Config{...}))
// does not need it.
//
// Processors and hooks are registered by name, the way database/sql
// registers drivers. The built-in processors register themselves ("sqs",
// "sqs-fifo", "kinesis", "dynamodb", "kafka"); a custom processor registers
// with [Register], a hook with [RegisterHook] (the hook modules
// hooks/sentry, hooks/otel and hooks/metrics do it when imported).
//
//   - [OpenEnv] builds the processor the environment describes: the one way
//     to configure by environment variables.
//   - [Open] builds a processor by name from a [processors.Config], and
//     [NewHook] a hook by name: for configuration read from elsewhere.
//
// At start-up:
//
//	import _ "github.com/batchkit/batchkit/hooks/otel" // BATCHKIT_HOOKS=otel
//
//	func main() {
//		processor, err := config.OpenEnv[events.SQSMessage](nil) // nil: the process environment
//		if err != nil {
//			log.Fatal(err) // batchkit: BATCHKIT_CONCURRENCY="-1": not an integer >= 0
//		}
//		lambda.Start(processors.SQSHandler(processor, handleMessage))
//	}
//
// with, for example, BATCHKIT_PROCESSOR=sqs-fifo
// BATCHKIT_SKIP_GROUP_ON_ERROR=true BATCHKIT_CONCURRENCY=4 BATCHKIT_HOOKS=otel.
//
// Each variable is named after the [processors.Config] field it sets, in
// upper snake case after BATCHKIT_: BATCHKIT_SUPPRESS_FULL_BATCH_ERROR,
// BATCHKIT_CONCURRENCY, BATCHKIT_DEADLINE_MARGIN, BATCHKIT_HOOKS,
// BATCHKIT_SKIP_GROUP_ON_ERROR, BATCHKIT_STOP_ON_FIRST_FAILURE,
// BATCHKIT_ORDER_BY_KEY; BATCHKIT_PROCESSOR names the processor.
// docs/configuration.md lists their accepted values. A wrong value is an
// [*EnvError] at start-up, never a silent default; so is a variable one
// typing slip from one of these names (BATCHKIT_CONCURENCY). Other
// BATCHKIT_* variables, such as an application's own, are logged once
// (log/slog, level Warn) and left alone.
package config
