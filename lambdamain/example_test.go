package lambdamain_test

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

var processor = core.Must(processors.NewSQS(processors.Config{}))

func handleOrder(ctx context.Context, msg *events.SQSMessage) error { return nil }

// A function's main: lambda.Start under Lambda, `go run . event.json` on
// your machine.
func ExampleStart() {
	lambdamain.Start(processors.SQSHandler(processor, handleOrder), nil)
}
