package batchtest

import (
	"fmt"
	"strconv"
)

// FirehoseEvent returns a Firehose data-transformation event with one
// record per data, as a Firehose stream of the given source type invokes
// its Lambda transformation. sourceType is the stream's
// DeliveryStreamType (https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html):
//
//   - "DirectPut": records with data, in the shape of the Lambda developer
//     guide's Firehose example
//     (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesisfirehose.html);
//   - "KinesisStreamAsSource": the same, with sourceKinesisStreamArn and
//     each record's kinesisRecordMetadata;
//   - "MSKAsSource": sourceMSKArn, and records with kafkaRecordValue and
//     mskRecordMetadata instead of data, in the shape of aws-lambda-java-events'
//     MSKFirehoseEvent (Firehose's guide documents the response side:
//     https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html).
//
// Any other sourceType panics. The data is base64-encoded in the JSON.
//
//	resp, err := firehose.Handler(p, h)(ctx, batchtest.FirehoseEvent("DirectPut", "a", "b"))
func FirehoseEvent(sourceType string, data ...string) []byte {
	type kinesisMeta struct {
		ShardID                     string `json:"shardId"`
		PartitionKey                string `json:"partitionKey"`
		ApproximateArrivalTimestamp string `json:"approximateArrivalTimestamp"`
		SequenceNumber              string `json:"sequenceNumber"`
		SubsequenceNumber           string `json:"subsequenceNumber"`
	}
	type mskMeta struct {
		Offset                      string `json:"offset"`
		PartitionID                 string `json:"partitionId"`
		ApproximateArrivalTimestamp int64  `json:"approximateArrivalTimestamp"`
	}
	type record struct {
		RecordID                    string       `json:"recordId"`
		ApproximateArrivalTimestamp int64        `json:"approximateArrivalTimestamp"`
		Data                        []byte       `json:"data,omitempty"`
		KinesisRecordMetadata       *kinesisMeta `json:"kinesisRecordMetadata,omitempty"`
		MSKRecordMetadata           *mskMeta     `json:"mskRecordMetadata,omitempty"`
		KafkaRecordValue            []byte       `json:"kafkaRecordValue,omitempty"`
	}
	type event struct {
		InvocationID           string   `json:"invocationId"`
		DeliveryStreamArn      string   `json:"deliveryStreamArn"`
		SourceKinesisStreamArn string   `json:"sourceKinesisStreamArn,omitempty"`
		SourceMSKArn           string   `json:"sourceMSKArn,omitempty"`
		Region                 string   `json:"region"`
		Records                []record `json:"records"`
	}
	ev := event{
		InvocationID:      "00540a87-5050-496a-84e4-e7d92bbaf5e2",
		DeliveryStreamArn: fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/test-stream", region, account),
		Region:            region,
		Records:           make([]record, len(data)),
	}
	switch sourceType {
	case "DirectPut":
	case "KinesisStreamAsSource":
		ev.SourceKinesisStreamArn = fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/test-stream", region, account)
	case "MSKAsSource":
		ev.SourceMSKArn = fmt.Sprintf("arn:aws:kafka:%s:%s:cluster/test-cluster/0f3c2b1a-aaaa-bbbb-cccc-0123456789ab-1", region, account)
	default:
		panic(fmt.Sprintf("batchtest: FirehoseEvent: source type %q is not DirectPut, KinesisStreamAsSource or MSKAsSource", sourceType))
	}
	for i, d := range data {
		r := record{
			RecordID:                    fmt.Sprintf("49546986683135544286507457936321625675700192471156785%03d", i),
			ApproximateArrivalTimestamp: 1700000000000 + int64(i),
		}
		switch sourceType {
		case "MSKAsSource":
			r.KafkaRecordValue = []byte(d)
			r.MSKRecordMetadata = &mskMeta{Offset: strconv.Itoa(i), PartitionID: "0", ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp}
		case "KinesisStreamAsSource":
			r.Data = []byte(d)
			r.KinesisRecordMetadata = &kinesisMeta{
				ShardID: "shardId-000000000000", PartitionKey: "pk",
				ApproximateArrivalTimestamp: "2023-11-14T22:13:20.000Z",
				SequenceNumber:              sequenceNumber(i), SubsequenceNumber: "",
			}
		default:
			r.Data = []byte(d)
		}
		if r.Data == nil && r.KafkaRecordValue == nil {
			r.Data = []byte{}
		}
		ev.Records[i] = r
	}
	return []byte(mustJSON(ev))
}
