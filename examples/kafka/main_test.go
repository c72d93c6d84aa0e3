package main

import (
	"testing"

	"github.com/batchkit/batchkit/examples/internal/golden"
)

// TestSampleEvent checks that running the example on its bundled sample
// event prints exactly response.json: partition orders-0 fails at offset 41
// (42 and 43 are left for the retry) and orders-1 at 13; orders-2 succeeds.
func TestSampleEvent(t *testing.T) { golden.Check(t, handler, sampleEvent) }
