// Command e2efunc is the SQS function of the driver's end-to-end tests, built
// as a bootstrap and run under the Lambda Runtime Interface Emulator. Each
// message it processes is appended to the file named by E2E_LOG as
// "<messageId> <body>". A body "fail" fails; a body "block", when
// E2E_BLOCK_MARKER is set, creates that file and blocks until the process is
// killed, so a test can kill the function mid-batch.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

var (
	processor = core.Must(processors.NewSQS(processors.Config{}))
	logMu     sync.Mutex
)

func handle(ctx context.Context, msg *events.SQSMessage) error {
	switch msg.Body {
	case "fail":
		return errors.New("e2efunc: this message always fails")
	case "block":
		if marker := os.Getenv("E2E_BLOCK_MARKER"); marker != "" {
			if err := os.WriteFile(marker, []byte(msg.MessageId), 0o600); err != nil {
				return err
			}
			<-ctx.Done()
			return ctx.Err()
		}
	}
	return record(msg)
}

// record appends the processed message to E2E_LOG.
func record(msg *events.SQSMessage) error {
	logMu.Lock()
	defer logMu.Unlock()
	f, err := os.OpenFile(os.Getenv("E2E_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", msg.MessageId, msg.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func handler(ctx context.Context, event events.SQSEvent) (core.Response, error) {
	return core.Process(ctx, processor, event.Records, handle)
}

func main() { lambda.Start(handler) }
