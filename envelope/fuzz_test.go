package envelope_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/envelope"
)

// FuzzLayers feeds arbitrary payloads to every layer, alone and composed,
// and checks the invariant: a record succeeds only when the handler ran and
// returned nil for each of its payloads, or when a layer skipped it (and
// OnSkip heard of it, once); nothing panics.
func FuzzLayers(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"Type":"Notification","Message":"{\"Records\":[{\"s3\":{\"object\":{\"key\":\"a+b\"}}}]}"}`))
	f.Add([]byte(`{"source":"s","detail-type":"d","detail":{"x":1}}`))
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"))
	chains := map[string][]envelope.Layer{
		"sns":         {envelope.SNS()},
		"s3":          {envelope.S3()},
		"sns-s3":      {envelope.SNS(), envelope.S3()},
		"eventbridge": {envelope.EventBridge()},
		"logs":        {envelope.CloudWatchLogs()},
		"logs-data":   {envelope.CloudWatchLogsData()},
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for name, layers := range chains {
			calls, fails, skips := 0, 0, 0
			h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{
				Layers: layers,
				OnSkip: func(context.Context, string, *envelope.Meta[events.KinesisEventRecord]) { skips++ },
			}, func(_ context.Context, p []byte, _ *envelope.Meta[events.KinesisEventRecord]) error {
				calls++
				if len(p)%3 == 0 {
					fails++
					return errFuzz
				}
				return nil
			})
			err := h(context.Background(), &events.KinesisEventRecord{Kinesis: events.KinesisRecord{Data: payload}})
			if skips > 1 {
				t.Fatalf("%s: OnSkip called %d times for one record", name, skips)
			}
			if err != nil {
				continue
			}
			if fails > 0 {
				t.Fatalf("%s: a payload failed but the record succeeded", name)
			}
			if calls == 0 && skips == 0 {
				t.Fatalf("%s: a record succeeded without its handler running and without being skipped", name)
			}
			if calls > 0 && skips > 0 {
				t.Fatalf("%s: a record was both handled and skipped", name)
			}
		}
	})
}

var errFuzz = errFuzzT{}

type errFuzzT struct{}

func (errFuzzT) Error() string { return "fuzz: payload length is a multiple of 3" }
