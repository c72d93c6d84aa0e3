// Package golden checks an example against its golden response: run on its
// bundled sample event as `go run ./examples/<name>` would, the example must
// print exactly the response.json beside it. It is a thin wrapper over
// package batchtest's runner, kept so that examples written against it
// still compile; [batchtest.RequireGolden] is the public, JSON-equality
// form.
package golden

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
)

// Check runs handler on sampleEvent and requires its printed response to
// equal response.json in the test's directory, byte for byte.
func Check[H ~func(context.Context, E) (R, error), E, R any](t *testing.T, handler H, sampleEvent []byte) {
	t.Helper()
	want, err := os.ReadFile("response.json")
	require.NoError(t, err)
	var got bytes.Buffer
	require.NoError(t, batchtest.RunLocal(context.Background(), handler, sampleEvent, nil, &got))
	require.Equal(t, string(want), got.String())
}
