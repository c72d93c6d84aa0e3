//go:build !race

package processors_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// TestRawAllocationsPerRecord holds the raw entries to their allocation
// counts on 1,000-record events (docs/performance.md): what is left is what
// aws-lambda-go's types force (maps, DynamoDB values in interfaces).
func TestRawAllocationsPerRecord(t *testing.T) {
	const n = 1000
	ctx := context.Background()
	sqs := benchevents.Event("sqs", n)
	noMessageAttributes := bytes.ReplaceAll(sqs,
		[]byte(`"messageAttributes":{"tenant":{"stringValue":"acme","stringListValues":[],"binaryListValues":[],"dataType":"String"}}`),
		[]byte(`"messageAttributes":{}`))
	require.NotEqual(t, sqs, noMessageAttributes)
	kinesis, dynamodb := benchevents.Event("kinesis", n), benchevents.Event("dynamodb", n)
	cases := []struct {
		name string
		max  float64
		run  func() error
	}{
		{"sqs", 4.05, func() error {
			_, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), nop[events.SQSMessage])(ctx, sqs)
			return err
		}},
		{"sqs without message attributes", 3.05, func() error {
			_, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), nop[events.SQSMessage])(ctx, noMessageAttributes)
			return err
		}},
		{"kinesis", 0.05, func() error {
			_, err := processors.KinesisHandler(core.Must(processors.NewKinesis(processors.Config{})), nop[events.KinesisEventRecord])(ctx, kinesis)
			return err
		}},
		{"dynamodb", 21.06, func() error {
			_, err := processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{})), nop[events.DynamoDBEventRecord])(ctx, dynamodb)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, c.run())
			var err error
			allocs := testing.AllocsPerRun(3, func() { err = c.run() })
			require.NoError(t, err)
			perRecord := allocs / n
			t.Logf("%.3f allocations per record", perRecord)
			require.LessOrEqual(t, perRecord, c.max)
		})
	}
}
