package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/internal/testenv"
)

// `batchkit-driver run` invokes as Lambda would: one invocation per Kafka
// partition at once, each in its own emulator instance (the emulator runs
// one invocation at a time). A template's Kafka event on 3 partitions, with
// a function that sleeps: invocations of different partitions overlap, in
// different processes.
func TestRunTemplateInvokesConcurrently(t *testing.T) {
	rie := testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	bootstrap := buildBootstrap(t, "driver/e2e/testdata/slow", runtime.GOARCH)
	bin := filepath.Join(t.TempDir(), "batchkit-driver")
	build := exec.Command("go", "build", "-o", bin, "./cmd/batchkit-driver")
	build.Dir = filepath.Join(root, "driver")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	dir := t.TempDir()
	overlap := filepath.Join(dir, "invocations")
	require.NoError(t, os.Mkdir(overlap, 0o755))
	tpl := filepath.Join(dir, "template.yaml")
	require.NoError(t, os.WriteFile(tpl, []byte(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Environment:
        Variables: {SLOW_MS: "1500", OVERLAP_DIR: "`+overlap+`"}
      Events:
        Orders:
          Type: SelfManagedKafka
          Properties:
            KafkaBootstrapServers: [broker.example.com:9092]
            Topics: [orders]
            StartingPosition: TRIM_HORIZON
            MaximumBatchingWindowInSeconds: 0
`), 0o644))
	records := map[string][]map[string]any{}
	for p := range 3 {
		tp := fmt.Sprintf("orders-%d", p)
		records[tp] = append(records[tp], map[string]any{"topic": "orders", "partition": p, "offset": 0, "timestamp": 0, "timestampType": "CREATE_TIME",
			"value": base64.StdEncoding.EncodeToString([]byte(`{"n":1}`)), "headers": []any{}})
	}
	event, _ := json.Marshal(map[string]any{"eventSource": "SelfManagedKafka", "records": records})
	eventFile := filepath.Join(dir, "event.json")
	require.NoError(t, os.WriteFile(eventFile, event, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "-template", tpl, "-bootstrap", bootstrap, "-rie", rie, "-kafka-partitions", "3", "-send", eventFile, "-idle", "2")
	cmd.Env = append(os.Environ(), "BATCHKIT_KAFKA_BROKERS=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	require.Contains(t, stdout.String(), "invocations=3")
	require.Contains(t, stdout.String(), "succeeded=3")

	type span struct{ Start, End, Pid int64 }
	files, err := filepath.Glob(filepath.Join(overlap, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 3)
	spans := make([]span, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &spans[i]))
	}
	overlapping := 0
	for i := range spans {
		for j := i + 1; j < len(spans); j++ {
			if spans[i].Start < spans[j].End && spans[j].Start < spans[i].End {
				overlapping++
				require.NotEqual(t, spans[i].Pid, spans[j].Pid, "overlapping invocations run in different emulator instances")
			}
		}
	}
	require.Positive(t, overlapping, "invocations of different partitions overlap: %+v", spans)
}
