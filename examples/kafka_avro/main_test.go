package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// TestSampleEvent checks that running the example on its bundled sample
// event prints exactly response.json: orders-1 fails at offset 8 (plain JSON
// on an Avro topic; 9 is left for the retry), orders-0 and orders-2 succeed.
func TestSampleEvent(t *testing.T) {
	batchtest.RequireGolden(t, handler, "event.json", "response.json")
}

// TestSampleRecords decodes each record of the sample event and checks what
// the handler gets, and the error of the bad one.
func TestSampleRecords(t *testing.T) {
	var ev kafkapayload.Event
	require.NoError(t, json.Unmarshal(sampleEvent, &ev))
	ok := 0
	for _, r := range processors.KafkaRecords(ev.KafkaEvent) {
		rec, err := decoder.Decode(context.Background(), &r)
		if r.Partition == 1 && r.Offset == 8 {
			var de *kafkapayload.DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, "value", de.Part)
			require.Equal(t, "AVRO", de.Format)
			require.ErrorIs(t, err, core.ErrDecode)
			require.ErrorIs(t, err, kafkapayload.ErrFraming) // JSON, refused before the Avro codec
			continue
		}
		require.NoError(t, err, "offset %d", r.Offset)
		require.Equal(t, kafkapayload.WireConfluent, rec.ValueSchema.Wire)
		require.Equal(t, "1", rec.ValueSchema.SchemaID())
		require.NotEmpty(t, rec.Value.ID)
		require.NotEmpty(t, rec.Key)
		if r.Offset == 100 {
			trace, _ := rec.Headers.Get("trace")
			require.Equal(t, "régional", trace)
		}
		ok++
	}
	require.Equal(t, 7, ok)
}
