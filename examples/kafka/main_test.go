package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/examples/internal/runlocal"
)

// TestSampleEvent: in the bundled event, partition orders-0 fails at offset
// 41 (42 and 43 are left for the retry) and orders-1 at 13; orders-2
// succeeds.
func TestSampleEvent(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runlocal.Once(context.Background(), handler, sampleEvent, nil, &out))
	require.JSONEq(t, `{"batchItemFailures":[
		{"itemIdentifier":{"partition":"orders-0","offset":41}},
		{"itemIdentifier":{"partition":"orders-1","offset":13}}]}`, out.String())
}
