package driver_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/batchkit/batchkit/driver"
)

// A template Lambda would refuse is refused when it is read, before any
// queue is created or event sent, with the setting, its value and the
// allowed range.
func ExampleTemplate_Mappings_validation() {
	tpl, _ := driver.ParseTemplate([]byte(`
Resources:
  Orders: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            BatchSize: 100
`))
	_, _, err := tpl.Mappings("")
	var ce *driver.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Mapping, ce.Setting, ce.Value, "allowed:", ce.Allowed)
	}
	// Output:
	// Fn/Queue MaximumBatchingWindowInSeconds 0 allowed: at least 1 when BatchSize is over 10
}

// Provisioned mode on SQS: MaximumPollers bounds the batches in flight
// (each event poller runs up to 10 invocations at once); Lambda takes at
// least 2 pollers for SQS.
func ExampleSQS_provisioned() {
	d := &driver.SQS{QueueURL: "http://127.0.0.1:4566/000000000000/orders", MaximumPollers: 1}
	_, err := d.Poll(context.Background(), nil) // refused before anything is received
	fmt.Println(err)
	// Output:
	// batchkit/driver: invalid ProvisionedPollerConfig.MaximumPollers 1 (allowed: 2-10,000 for SQS); Lambda rejects this mapping, fix the setting
}
