package kafkapayload

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// parseMetadata keeps each record's metadata to that record: a record whose
// partition is not a number (which the processor fails) lends its metadata
// to no other, a record without a topic is named by its key, and a
// malformed field is an error of that record and part.
func TestParseMetadataPerRecord(t *testing.T) {
	raw := []byte(`{"records": {"t-0": [
		{"topic": "t", "partition": 0, "offset": 1, "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "1"}},
		{"topic": "t", "partition": "0", "offset": 2, "valueSchemaMetadata": {"dataFormat": "AVRO", "schemaId": "stray"}},
		{"offset": 3, "keySchemaMetadata": {"dataFormat": "JSON", "schemaId": "k"}, "valueSchemaMetadata": 7}
	]}}`)
	idx := parseMetadata(raw)
	if len(idx) != 2 {
		t.Fatalf("index %v", idx)
	}
	if md := idx.lookup(&events.KafkaRecord{Topic: "t", Offset: 1}); md.value == nil || md.value.SchemaID != "1" {
		t.Fatalf("offset 1: %+v", md)
	}
	if md := idx.lookup(&events.KafkaRecord{Topic: "t", Offset: 2}); md != (recordMetadata{}) {
		t.Fatalf("offset 2 got metadata %+v", md)
	}
	md := idx.lookup(&events.KafkaRecord{Topic: "t", Offset: 3})
	if md.key == nil || md.key.SchemaID != "k" || md.valueErr == nil || md.keyErr != nil {
		t.Fatalf("offset 3: %+v", md)
	}
	if parseMetadata([]byte(`{"records": []}`)) != nil || parseMetadata([]byte(`{"records": {}}`)) != nil {
		t.Fatal("an event without metadata has an index")
	}
}
