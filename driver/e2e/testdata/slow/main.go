// Command slow is the function of the concurrent-emulators test
// (driver/e2e/concurrency_test.go): each invocation sleeps SLOW_MS
// milliseconds and writes its start and end times (Unix nanoseconds) and
// its process ID to a new file in OVERLAP_DIR, so that the test sees which
// invocations ran at the same time, and in which processes.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, _ json.RawMessage) (map[string]any, error) {
	start := time.Now()
	ms, _ := strconv.Atoi(os.Getenv("SLOW_MS"))
	time.Sleep(time.Duration(ms) * time.Millisecond)
	end := time.Now()
	b, _ := json.Marshal(map[string]int64{"start": start.UnixNano(), "end": end.UnixNano(), "pid": int64(os.Getpid())})
	name := filepath.Join(os.Getenv("OVERLAP_DIR"), fmt.Sprintf("%d-%d.json", os.Getpid(), start.UnixNano()))
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func main() { lambda.Start(handle) }
