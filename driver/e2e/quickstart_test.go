package e2e

import (
	"bytes"
	"context"
	"fmt"
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

// readmeGoBlock returns the first ```go block under the README heading
// "### <heading>".
func readmeGoBlock(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n### "+heading+"\n")
	require.True(t, ok, "README.md has a %q section", heading)
	m := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(section)
	require.NotNil(t, m, "README.md's %q section has a Go block", heading)
	return m[1]
}

// goCmd runs go with args in dir and returns its combined output.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// The README's SQS quick start, in a fresh module outside the repository
// that uses batchkit through the README's checkout instructions (the
// replace lines), builds as a Lambda bootstrap, answers the sample event
// under the Runtime Interface Emulator as examples/sqs does, and, run as a
// plain program on the event file, prints the same response without
// aws-lambda-go's "expected AWS Lambda environment variables" error.
func TestQuickStartInFreshModule(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("creates and builds a module")
	}
	code := readmeGoBlock(t, "SQS")
	dir := t.TempDir() // outside the repository
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(code), 0o644))
	// Module downloads go to the usual cache; the environment's GOPROXY is
	// kept. -mod=mod lets go fill go.sum.
	env := []string{"GOFLAGS=-mod=mod", "GOWORK=off"}
	// The README's steps, with the checkout at root.
	goCmd(t, dir, env, "mod", "init", "example.com/orders")
	goCmd(t, dir, env, "mod", "edit", "-require=github.com/batchkit/batchkit@v0.0.0", "-replace=github.com/batchkit/batchkit="+root)
	goCmd(t, dir, env, "mod", "tidy")
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	require.NotContains(t, string(gomod), "aws-sdk-go-v2", "the library brings no AWS SDK")

	event := filepath.Join(root, "examples", "sqs", "event.json")
	want, err := os.ReadFile(filepath.Join(root, "examples", "sqs", "response.json"))
	require.NoError(t, err)

	// As a plain program, outside Lambda.
	local := filepath.Join(dir, "local")
	goCmd(t, dir, env, "build", "-o", local, ".")
	cmd := exec.Command(local, event)
	cmd.Env = withoutRuntimeAPI(os.Environ())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	require.JSONEq(t, string(want), stdout.String())
	require.NotContains(t, stderr.String(), "expected AWS Lambda environment variables")
	require.Contains(t, stderr.String(), "failed: record 1 (", "the local run prints each failure's reason")

	// As a Lambda bootstrap under the emulator.
	testenv.Endpoint(t, "BATCHKIT_RIE", "aws-lambda-rie (the Lambda Runtime Interface Emulator)")
	if runtime.GOOS != "linux" {
		t.Skip("the emulator runs linux bootstraps")
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	goCmd(t, dir, append(env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH), "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, ".")
	fn := startFunction(t, bootstrap)
	data, err := os.ReadFile(event)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := fn.Invoke(ctx, data)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}

// The root module, the one `go get github.com/batchkit/batchkit` adds,
// requires no AWS SDK module: the examples that need it are modules of
// their own. `go list -m all` runs on a copy of the root's go.mod and go.sum
// in a temporary folder: it may record in go.sum the go.mod hashes of the
// whole module graph, which `go mod tidy` leaves out, and no test changes
// the checkout.
func TestRootModuleHasNoAWSSDK(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "github.com/batchkit/batchkit\n")
	require.Contains(t, string(out), "github.com/aws/aws-lambda-go")
	require.NotContains(t, string(out), "github.com/aws/aws-sdk-go-v2")
}

// readmePrelude declares what the README's quick-start fragments use
// without declaring: the payload types and the SQS handler.
const readmePrelude = `package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

var (
	_ = context.Background
	_ = lambdamain.Start[func(context.Context, []byte) (int, error)]
	_ = core.StringID
	_ = processors.NewSQS
	_ events.SQSMessage
)

type Order struct{ ID string }
type Reading struct{ Value float64 }
type Item struct{ ID string }

func handleOrder(ctx context.Context, o Order, msg *events.SQSMessage) error { return nil }
`

// Every Go block of the README compiles: a complete program as it is, a
// fragment of a quick start (one per source) after a prelude that declares
// the types and handler it assumes.
func TestReadmeGoBlocksCompile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("creates and builds a module")
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, blocks)
	dir := t.TempDir()
	env := []string{"GOFLAGS=-mod=mod", "GOWORK=off"}
	goCmd(t, dir, env, "mod", "init", "example.com/readme")
	goCmd(t, dir, env, "mod", "edit", "-require=github.com/batchkit/batchkit@v0.0.0", "-replace=github.com/batchkit/batchkit="+root)
	for i, b := range blocks {
		code := b[1]
		if !strings.HasPrefix(code, "package ") {
			code = readmePrelude + "\n" + code
		}
		sub := filepath.Join(dir, fmt.Sprintf("block%02d", i))
		require.NoError(t, os.MkdirAll(sub, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(sub, "main.go"), []byte(code), 0o644))
	}
	goCmd(t, dir, env, "mod", "tidy")
	goCmd(t, dir, env, "vet", "./...")
}
