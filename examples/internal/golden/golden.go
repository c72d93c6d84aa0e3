// Package golden checks an example against its golden response: run on its
// bundled sample event as `go run ./examples/<name>` would, the example must
// print exactly the response.json beside it. Only the examples' tests import
// it, so the functions themselves do not link the testing package.
package golden

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/examples/internal/runlocal"
)

// Check runs handler on sampleEvent and requires its printed response to
// equal response.json in the test's directory, byte for byte.
func Check[E, R any](t *testing.T, handler func(context.Context, E) (R, error), sampleEvent []byte) {
	t.Helper()
	want, err := os.ReadFile("response.json")
	require.NoError(t, err)
	got, err := runlocal.Golden(handler, sampleEvent)
	require.NoError(t, err)
	require.Equal(t, string(want), got)
}
