package avro_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	hamba "github.com/hamba/avro/v2"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/avro"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// Decode Avro values in the Confluent framing on an MSK event; a value that
// is not Avro fails alone.
func ExampleNew() {
	const schema = `{"type": "record", "name": "Click", "fields": [{"name": "page", "type": "string"}, {"name": "ms", "type": "long"}]}`
	type Click struct {
		Page string `avro:"page"`
		MS   int64  `avro:"ms"`
	}
	body, _ := hamba.Marshal(hamba.MustParse(schema), Click{Page: "/home", MS: 31})
	framed := append(binary.BigEndian.AppendUint32([]byte{0}, 3), body...)
	ev := events.KafkaEvent{Records: map[string][]events.KafkaRecord{"clicks-0": {
		{Topic: "clicks", Offset: 1, Value: base64.StdEncoding.EncodeToString(framed)},
		{Topic: "clicks", Offset: 2, Value: base64.StdEncoding.EncodeToString(framed[:6])},
	}}}
	d := &kafkapayload.Decoder[string, Click]{Value: core.Must(avro.New[Click](avro.Config{Schema: schema}))}
	h := d.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, Click]) error {
		fmt.Println(rec.Raw.Offset, rec.Value.Page, rec.Value.MS, "schema", rec.ValueSchema.SchemaID())
		return nil
	})
	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), ev, h)
	fmt.Println(resp.BatchItemFailures, err)
	// Output:
	// 1 /home 31 schema 3
	// [{clicks-0@2}] <nil>
}
