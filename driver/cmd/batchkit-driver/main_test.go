package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

func TestParseRejects(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-source", "sqs", "-function", "f"}, "-endpoint and -function are required"},
		{[]string{"-source", "sqs", "-endpoint", "e", "-function", "f"}, "needs -queue-url"},
		{[]string{"-source", "kinesis", "-endpoint", "e", "-function", "f"}, "needs -stream"},
		{[]string{"-source", "dynamodb", "-endpoint", "e", "-function", "f"}, "needs -table or -stream-arn"},
		{[]string{"-source", "kafka", "-endpoint", "e", "-function", "f"}, "must be sqs, kinesis or dynamodb"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parse(tt.args, io.Discard)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// The command drives a queue into a function behind the Invoke API (here a
// stand-in for the emulator that reports the messages whose body is "fail")
// and prints one line per invocation.
func TestRunSQS(t *testing.T) {
	endpoint := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	c := driver.NewSQSClient(endpoint)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("cmd-" + strconv.FormatInt(time.Now().UnixNano(), 36)), Attributes: map[string]string{"VisibilityTimeout": "30"}})
	require.NoError(t, err)
	url := aws.ToString(q.QueueUrl)
	t.Cleanup(func() { _, _ = c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}) })
	var failID string
	for _, body := range []string{"ok", "fail", "ok"} {
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
		require.NoError(t, err)
		if body == "fail" {
			failID = aws.ToString(out.MessageId)
		}
	}

	rie := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/2015-03-31/functions/function/invocations", r.URL.Path)
		var ev events.SQSEvent
		body, _ := io.ReadAll(r.Body)
		require.NoError(t, json.Unmarshal(body, &ev))
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, m := range ev.Records {
			if m.Body == "fail" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		require.NoError(t, json.NewEncoder(w).Encode(resp))
	}))
	defer rie.Close()

	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"-source", "sqs", "-endpoint", endpoint, "-queue-url", url, "-function", rie.URL, "-idle", "1", "-wait", "0s"}, &out, io.Discard))
	var l line
	require.NoError(t, json.Unmarshal(out.Bytes(), &l), out.String())
	require.Equal(t, line{Source: "aws:sqs", Records: 3, Failed: []string{failID}, Deleted: 2}, l)
}

// `batchkit-driver -h` lists the commands, `run` among them.
func TestHelpListsRun(t *testing.T) {
	var stderr bytes.Buffer
	err := command(context.Background(), []string{"-h"}, io.Discard, &stderr)
	require.ErrorIs(t, err, flag.ErrHelp)
	require.Contains(t, stderr.String(), "batchkit-driver run [flags]")
	require.Contains(t, stderr.String(), "-source")
}
