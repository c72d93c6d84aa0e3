// Command managed is the SQS function of the concurrent-invocations test
// (driver/e2e/managed_test.go): the SQS example's processor and adapter, with
// a handler whose messages say what to do, so that invocations running at
// once in one process (Lambda Managed Instances, AWS_LAMBDA_MAX_CONCURRENCY)
// fail, panic and wait for each other:
//
//	{"Message":"ok"}       succeeds
//	{"Message":"fail"}     returns an error
//	{"Message":"panic"}    panics
//	{"Message":"barrier"}  waits until MANAGED_BARRIER invocations have
//	                       reached a barrier record (fails after 20 s), so
//	                       it succeeds only when they run concurrently
//	not JSON               fails to decode
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

// Order is the message body.
type Order struct {
	Message string `json:"Message"`
}

var (
	arrived atomic.Int64
	barrier = func() int64 {
		n, _ := strconv.ParseInt(os.Getenv("MANAGED_BARRIER"), 10, 64)
		return n
	}()
)

func handleOrder(ctx context.Context, o Order, msg *events.SQSMessage) error {
	switch o.Message {
	case "ok":
		return nil
	case "fail":
		return errors.New("order " + msg.MessageId + " failed")
	case "panic":
		panic("order " + msg.MessageId + " panicked")
	case "barrier":
		arrived.Add(1)
		deadline := time.Now().Add(20 * time.Second)
		for arrived.Load() < barrier {
			if time.Now().After(deadline) {
				return fmt.Errorf("only %d of %d invocations ran at once", arrived.Load(), barrier)
			}
			time.Sleep(time.Millisecond)
		}
		return nil
	}
	return fmt.Errorf("unknown message %q", o.Message)
}

var handler = processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: 2}})), processors.SQSJSON(handleOrder))

func main() { lambdamain.Start(handler, nil) }
