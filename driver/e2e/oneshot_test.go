package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/internal/testenv"
)

// `batchkit-driver run -template examples/kinesis/template.yaml` on a
// machine where no server runs (no BATCHKIT_*_ENDPOINT), after the test
// command installed the servers once: it starts fauxqs and kinesalite on
// 127.0.0.1, creates the template's stream and queue, builds and runs the
// function under the emulator, prints the report and stops the servers.
func TestRunTemplateStartsServers(t *testing.T) {
	rie := testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	// The installs the test command leaves in its cache
	// (scripts/lib/common.sh: $BATCHKIT_CACHE, else the user's cache
	// folder; npm packages in npm/<name>-<key>).
	cache := os.Getenv("BATCHKIT_CACHE")
	if cache == "" {
		if d, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(d, "batchkit")
		}
	}
	for _, name := range []string{"fauxqs", "kinesalite"} {
		if m, _ := filepath.Glob(filepath.Join(cache, "npm", name+"-*", "node_modules")); len(m) == 0 {
			msg := name + " is not installed in " + cache + "; run `bash scripts/test.sh` once"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	bin := filepath.Join(t.TempDir(), "batchkit-driver")
	build := exec.Command("go", "build", "-o", bin, "./cmd/batchkit-driver")
	build.Dir = filepath.Join(root, "driver")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	// Nothing running: no endpoint in the environment; the emulator is
	// found on the PATH.
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BATCHKIT_") && strings.Contains(kv, "_ENDPOINT=") || strings.HasPrefix(kv, "BATCHKIT_RIE=") || strings.HasPrefix(kv, "PATH=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "BATCHKIT_CACHE="+cache, "PATH="+filepath.Dir(rie)+string(os.PathListSeparator)+os.Getenv("PATH"))

	for _, args := range [][]string{
		{"run", "-template", "examples/kinesis/template.yaml"},
		{"run", "-template", "examples/kinesis/template.yaml", "-send", "examples/kinesis/event.json"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = root
		cmd.Env = env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		require.NoError(t, err, "%v\nstdout: %s\nstderr: %s", args, stdout.String(), stderr.String())
		require.Contains(t, stderr.String(), "started fauxqs at http://127.0.0.1:")
		require.Contains(t, stderr.String(), "started kinesalite at http://127.0.0.1:")
		require.Contains(t, stdout.String(), "OrdersFunction/Orders (Kinesis ")
		require.Contains(t, stdout.String(), "on-failure-destination=FailedRecordsQueue")
		if len(args) > 3 {
			// The example's event: 2 records, one processed, one that
			// fails, is bisected and retried, and goes to the queue.
			require.Contains(t, stdout.String(), "records=2")
			require.Contains(t, stdout.String(), "succeeded=1")
			require.Contains(t, stdout.String(), "on-failure=1")
		}
		// The servers are stopped.
		for _, addr := range regexp.MustCompile(`started \S+ at http://(127\.0\.0\.1:\d+)`).FindAllStringSubmatch(stderr.String(), -1) {
			c, err := net.DialTimeout("tcp", addr[1], time.Second)
			if err == nil {
				c.Close()
			}
			require.Error(t, err, "%s still answers after the run", addr[1])
		}
	}
}
