package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// `run` with a template: the queue is created from it, the event file is
// put on it, the function (here a stand-in for the emulator that reports
// the bodies "fail") is invoked, the filter drops what does not match, and
// the report counts it all. Other event types are noted and ignored.
func TestRunTemplate(t *testing.T) {
	endpoint := testenv.Endpoint(t, "BATCHKIT_SQS_ENDPOINT", "fauxqs")
	dir := t.TempDir()
	tpl := filepath.Join(dir, "template.yaml")
	require.NoError(t, os.WriteFile(tpl, []byte(`
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue: {Type: AWS::SQS::Queue, Properties: {VisibilityTimeout: 30}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria: {Filters: [{Pattern: '{"body": [{"anything-but": "skip"}]}'}]}
        Files:
          Type: S3
`), 0o644))
	event := filepath.Join(dir, "event.json")
	var ev events.SQSEvent
	for _, b := range []string{"ok", "fail", "skip", "ok"} {
		ev.Records = append(ev.Records, events.SQSMessage{Body: b})
	}
	data, _ := json.Marshal(ev)
	require.NoError(t, os.WriteFile(event, data, 0o644))

	rie := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev events.SQSEvent
		body, _ := io.ReadAll(r.Body)
		require.NoError(t, json.Unmarshal(body, &ev))
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, m := range ev.Records {
			require.NotEqual(t, "skip", m.Body, "filtered out")
			if m.Body == "fail" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		require.NoError(t, json.NewEncoder(w).Encode(resp))
	}))
	defer rie.Close()

	var stdout, stderr bytes.Buffer
	prefix := "cmd" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "-"
	err := runTemplate(context.Background(), []string{"-template", tpl, "-create", "-prefix", prefix, "-sqs-endpoint", endpoint,
		"-send", event, "-emulator", rie.URL, "-idle", "1", "-json", "-v"}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	require.Contains(t, stderr.String(), `{"mapping":"Fn/Orders","records":3,"attempt":1,"failed":[`, "-v prints each invocation")
	require.Contains(t, stderr.String(), "Fn/Files: events of type S3 are not an SQS, Kinesis, DynamoDB or Kafka event source mapping")
	var r driver.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), stdout.String())
	require.Equal(t, "Fn/Orders", r.Mapping)
	require.True(t, strings.HasSuffix(r.Source, "/"+prefix+"Queue"))
	require.Equal(t, 4, r.Records)
	require.Equal(t, 1, r.Filtered)
	require.Equal(t, 2, r.Succeeded)
	require.Equal(t, 1, r.Invocations)
}

// `run` fails with a message that says what to fix.
func TestRunTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	noEvents := filepath.Join(dir, "t.yaml")
	require.NoError(t, os.WriteFile(noEvents, []byte("Resources: {Fn: {Type: AWS::Serverless::Function}}"), 0o644))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-template", filepath.Join(dir, "missing.yaml")}, "cannot read it"},
		{[]string{"-template", noEvents}, "nothing to run"},
		{[]string{"-template", noEvents, "extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := runTemplate(context.Background(), tt.args, io.Discard, io.Discard)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
