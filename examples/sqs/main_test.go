package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/examples/internal/runlocal"
)

// TestSampleEvent checks that running the example on its bundled sample
// event prints exactly response.json.
func TestSampleEvent(t *testing.T) {
	want, err := os.ReadFile("response.json")
	require.NoError(t, err)
	got, err := runlocal.Golden(handler, sampleEvent)
	require.NoError(t, err)
	require.Equal(t, string(want), got)
}
