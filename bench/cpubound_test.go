package bench

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/benchevents"
	"github.com/batchkit/batchkit/processors"
)

// BenchmarkCPUBound: 1,000 SQS records whose handler hashes the body with
// SHA-256 rounds times (10: about 1 µs, 200: about 20 µs), sequential and
// with a concurrency of 2 (issue 11: the speedup of concurrency 2 over
// sequential on 2 cores).
func BenchmarkCPUBound(b *testing.B) {
	var e events.SQSEvent
	if err := json.Unmarshal(benchevents.SQS(benchRecords, false), &e); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, rounds := range []int{10, 200} {
		h := shaHandler(rounds)
		for _, c := range []int{1, 2} {
			name := fmt.Sprintf("sha%d/sequential", rounds)
			if c > 1 {
				name = fmt.Sprintf("sha%d/concurrency=%d", rounds, c)
			}
			p := core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: c}}))
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					if _, err := core.Process(ctx, p, e.Records, h); err != nil {
						b.Fatal(err)
					}
				}
				perRecord(b, benchRecords, cpu)
			})
		}
	}
}

// shaHandler hashes the message body with SHA-256 rounds times: a CPU-bound
// handler (10 rounds: about 1 µs).
func shaHandler(rounds int) core.Handler[events.SQSMessage] {
	return func(_ context.Context, m *events.SQSMessage) error {
		sum := sha256.Sum256([]byte(m.Body))
		for range rounds - 1 {
			sum = sha256.Sum256(sum[:])
		}
		if sum[0] == 0 && sum[1] == 0 && sum[2] == 0 && sum[3] == 0 {
			return fmt.Errorf("bench: improbable hash %x", sum)
		}
		return nil
	}
}
