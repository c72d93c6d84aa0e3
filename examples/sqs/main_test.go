package main

import (
	"testing"

	"github.com/batchkit/batchkit/batchtest"
)

// TestSampleEvent checks that the function answers its bundled sample event
// (event.json) with exactly the golden response (response.json).
func TestSampleEvent(t *testing.T) {
	batchtest.RequireGolden(t, handler, "event.json", "response.json")
}
