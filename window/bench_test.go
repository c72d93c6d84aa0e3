package window_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/window"
)

func benchEvent(n int) window.Event[events.KinesisEventRecord] {
	var ev window.Event[events.KinesisEventRecord]
	for i := range n {
		seq := fmt.Sprintf("4959033827149025660855969253836157109592157598913%07d", i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{EventSource: "aws:kinesis",
			Kinesis: events.KinesisRecord{PartitionKey: "pk", SequenceNumber: seq, Data: []byte(`{"temperature":21.5,"site":"north"}`)}})
	}
	ev.State = json.RawMessage(`{"count":10,"sum":200}`)
	return ev
}

type benchState struct {
	Count int     `json:"count"`
	Sum   float64 `json:"sum"`
}

// BenchmarkFold folds 1,000 records, with a fold that only counts and with
// one that decodes each record's JSON, with and without a hook: the cost
// of the window's lifecycle per record.
//
//	go test -run '^$' -bench BenchmarkFold -count 5 ./window/
func BenchmarkFold(b *testing.B) {
	ev := benchEvent(1000)
	folds := map[string]func(context.Context, *benchState, *events.KinesisEventRecord) error{
		"count": func(_ context.Context, s *benchState, _ *events.KinesisEventRecord) error {
			s.Count++
			return nil
		},
		"json": window.KinesisJSON(func(_ context.Context, s *benchState, v struct {
			Temperature float64 `json:"temperature"`
		}, _ *events.KinesisEventRecord) error {
			s.Count++
			s.Sum += v.Temperature
			return nil
		}),
	}
	for _, name := range []string{"count", "json"} {
		for _, hooks := range []bool{false, true} {
			var cfg window.Config
			mode := "nohooks"
			if hooks {
				cfg.Hooks = []core.Hook{core.NopHook{}}
				mode = "hooks"
			}
			b.Run(name+"/"+mode, func(b *testing.B) {
				p := core.Must(window.NewKinesis(cfg))
				agg := window.Aggregate[events.KinesisEventRecord, benchState]{Fold: folds[name]}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := window.Process(context.Background(), p, ev, agg); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/record")
			})
		}
	}
}
