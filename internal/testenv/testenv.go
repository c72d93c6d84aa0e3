// Package testenv gives integration tests the addresses of the local servers
// that scripts/test.sh starts, and skips a test whose server is missing,
// except under CI=true, where a missing server fails the test.
package testenv

import (
	"os"
	"testing"
)

// Endpoint returns the value of the environment variable env (a server's
// endpoint, such as BATCHKIT_DYNAMODB_ENDPOINT). When it is unset, the test
// is skipped with a message naming the server and how to start it, or fails
// under CI=true.
func Endpoint(t testing.TB, env, server string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	msg := server + " is not running (" + env + " is unset); run `bash scripts/test.sh`, which installs and starts it"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
