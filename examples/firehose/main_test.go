package main

import (
	"testing"

	"github.com/batchkit/batchkit/examples/internal/golden"
)

// TestSampleEvent checks that running the example on its bundled sample
// event prints exactly response.json.
func TestSampleEvent(t *testing.T) { golden.Check(t, handler, sampleEvent) }
