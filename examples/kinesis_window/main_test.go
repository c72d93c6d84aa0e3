package main

import (
	"testing"

	"github.com/batchkit/batchkit/batchtest"
)

// TestSampleEvent checks that running the example on its bundled sample
// event prints exactly response.json.
func TestSampleEvent(t *testing.T) {
	batchtest.RequireGolden(t, handler, "event.json", "response.json")
}
