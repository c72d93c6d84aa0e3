package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// `run` refuses a template Lambda would refuse (here an SQS BatchSize over
// 10 without a batching window, and ScalingConfig.MaximumConcurrency 1)
// with the setting, value and range, before it creates a queue, sends an
// event or starts the function.
func TestRunTemplateValidatesFirst(t *testing.T) {
	endpoint := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	for _, tc := range []struct{ props, setting string }{
		{"BatchSize: 20", "MaximumBatchingWindowInSeconds 0 (allowed: at least 1 when BatchSize is over 10)"},
		{"ScalingConfig: {MaximumConcurrency: 1}", "ScalingConfig.MaximumConcurrency 1 (allowed: 2-1,000)"},
	} {
		dir := t.TempDir()
		tpl := filepath.Join(dir, "template.yaml")
		require.NoError(t, os.WriteFile(tpl, []byte(`
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            `+tc.props+`
`), 0o644))
		event := filepath.Join(dir, "event.json")
		require.NoError(t, os.WriteFile(event, []byte(`{"Records":[{"body":"x"}]}`), 0o644))
		prefix := "val" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "-"
		var stdout, stderr bytes.Buffer
		err := runTemplate(context.Background(), []string{"-template", tpl, "-create", "-prefix", prefix, "-sqs-endpoint", endpoint,
			"-send", event, "-emulator", "127.0.0.1:1", "-idle", "1"}, &stdout, &stderr)
		require.ErrorIs(t, err, driver.ErrInvalidConfig)
		require.ErrorContains(t, err, tc.setting)
		_, err = driver.NewSQSClient(endpoint).GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(prefix + "Queue")})
		require.Error(t, err, "nothing was created")
	}
}
