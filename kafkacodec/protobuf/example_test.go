package protobuf_test

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"google.golang.org/protobuf/proto"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/kafkacodec/protobuf"
	"github.com/batchkit/batchkit/kafkacodec/protobuf/internal/testpb"
	"github.com/batchkit/batchkit/kafkapayload"
	"github.com/batchkit/batchkit/processors"
)

// Decode Protobuf values into a generated type, in the AWS Glue framing; a
// record of another message type of the same file fails alone.
func ExampleNew() {
	order, _ := proto.Marshal(&testpb.Order{Id: "o-1", AmountCents: 500})
	refund, _ := proto.Marshal(&testpb.Refund{OrderId: "o-1", AmountCents: 500})
	ev := events.KafkaEvent{Records: map[string][]events.KafkaRecord{"orders-0": {
		{Topic: "orders", Offset: 1, Value: base64.StdEncoding.EncodeToString(glue(2, order))},  // Order is message 2 by full name
		{Topic: "orders", Offset: 2, Value: base64.StdEncoding.EncodeToString(glue(5, refund))}, // Refund is message 5
	}}}
	d := &kafkapayload.Decoder[string, *testpb.Order]{Value: protobuf.New[*testpb.Order](protobuf.Config{})}
	h := d.Handler(func(ctx context.Context, rec *kafkapayload.Record[string, *testpb.Order]) error {
		fmt.Println(rec.Raw.Offset, rec.Value.GetId(), rec.Value.GetAmountCents(), rec.ValueSchema.Wire, rec.ValueSchema.SchemaID())
		return nil
	})
	resp, err := processors.ProcessKafka(context.Background(), core.Must(processors.NewKafka(processors.Config{})), ev, h)
	fmt.Println(resp.BatchItemFailures, err)
	// Output:
	// 1 o-1 500 AWS Glue b12c3d4e-5f60-4718-899a-abbccddeef01
	// [{orders-0@2}] <nil>
}
