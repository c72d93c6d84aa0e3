package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
	"github.com/batchkit/batchkit/internal/testenv"
)

// startFunction builds dir as a bootstrap for this machine and starts it
// under the emulator; it is stopped at the end of the test.
func startFunction(t *testing.T, bootstrap string, env ...string) *driver.EmulatorProcess {
	t.Helper()
	rie := testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := driver.StartEmulator(ctx, driver.EmulatorConfig{RIE: rie, Bootstrap: bootstrap, Env: env, Output: testWriter{t}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// testWriter sends the emulator's output to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("rie: %s", p)
	return len(p), nil
}

// The SQS example, built as a bootstrap and run by the emulator, answers
// its sample event with the sample partial batch response.
func TestSQSExampleUnderEmulator(t *testing.T) {
	t.Parallel()
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	fn := startFunction(t, buildBootstrap(t, "examples/sqs", runtime.GOARCH))
	event, err := os.ReadFile(filepath.Join(root, "examples", "sqs", "event.json"))
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("testdata", "getting_started_sqs_response.json"))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 2 { // cold, then warm: the processor is reused
		got, err := fn.Invoke(ctx, event)
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got))
	}
}

// Every self-contained example (one with a response.json) answers its
// bundled event.json the same way under the emulator (as a Lambda function)
// as when run as a plain program (which processes event.json and prints the
// response), and both equal response.json: the runtime path and the local
// path agree.
func TestExamplesUnderEmulator(t *testing.T) {
	t.Parallel()
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	for _, dir := range examples(t) {
		// Examples with a golden response.json are self-contained: the
		// others need configuration (environment, a table) to run.
		want, err := os.ReadFile(filepath.Join(root, dir, "response.json"))
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		event, err := os.ReadFile(filepath.Join(root, dir, "event.json"))
		require.NoError(t, err)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			bootstrap := buildBootstrap(t, dir, runtime.GOARCH)
			cmd := exec.Command(bootstrap)
			cmd.Env = withoutRuntimeAPI(os.Environ())
			local, err := cmd.Output()
			require.NoError(t, err, "%s on its sample event, outside Lambda", dir)

			fn := startFunction(t, bootstrap)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := fn.Invoke(ctx, event)
			require.NoError(t, err)
			require.JSONEq(t, string(local), string(got))
			require.JSONEq(t, string(want), string(got))
		})
	}
}

// withoutRuntimeAPI removes AWS_LAMBDA_RUNTIME_API so that an example runs as
// a plain program.
func withoutRuntimeAPI(env []string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, "AWS_LAMBDA_RUNTIME_API=") {
			out = append(out, e)
		}
	}
	return out
}
