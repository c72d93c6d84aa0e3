// Package benchevents generates the Lambda events that batchkit's benchmarks
// and the peer comparison script (bench/compare) run on: realistic SQS,
// SQS FIFO, Kinesis and DynamoDB Streams events of any size, as JSON bytes,
// the same bytes for every contender.
//
// Every tenth record (positions 0, 10, 20, ...) carries a marker that the
// benchmarks' "10% fail" handlers fail on: an SQS body starting with 'x', a
// Kinesis partition key "fail", a DynamoDB event name "REMOVE".
package benchevents

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Kinds lists the event kinds, as named by the comparison script.
var Kinds = []string{"sqs", "fifo", "kinesis", "dynamodb"}

// Event returns the JSON event of the given kind ("sqs", "fifo", "kinesis"
// or "dynamodb") with n records.
func Event(kind string, n int) []byte {
	switch kind {
	case "sqs":
		return SQS(n, false)
	case "fifo":
		return SQS(n, true)
	case "kinesis":
		return Kinesis(n)
	case "dynamodb":
		return DynamoDB(n)
	}
	panic("benchevents: unknown kind " + kind)
}

// Fails reports whether record i carries the 10%-fail marker.
func Fails(i int) bool { return i%10 == 0 }

// SQS returns an SQS event with n records of about 700 bytes each; fifo adds
// the FIFO attributes (8 message groups).
func SQS(n int, fifo bool) []byte {
	var b strings.Builder
	b.Grow(n * 800)
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		body := fmt.Sprintf(`{\"orderId\":\"order-%08d\",\"customer\":\"customer-%04d\",\"amount\":%d.%02d,\"currency\":\"EUR\",\"items\":[{\"sku\":\"sku-1\",\"qty\":1}]}`, i, i%1000, i%500, i%100)
		if Fails(i) {
			body = "x" + body
		}
		fmt.Fprintf(&b, `{"messageId":"%08x-87a3-44ab-83d2-661975830a7d","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0aAQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a%06d","body":"%s",`, i, i, body)
		b.WriteString(`"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"`)
		if fifo {
			fmt.Fprintf(&b, `,"MessageGroupId":"group-%d","MessageDeduplicationId":"dedup-%d","SequenceNumber":"%020d"`, i%8, i, i)
		}
		b.WriteString(`},"messageAttributes":{"tenant":{"stringValue":"acme","stringListValues":[],"binaryListValues":[],"dataType":"String"}},`)
		queue := "my-queue"
		if fifo {
			queue = "my-queue.fifo"
		}
		fmt.Fprintf(&b, `"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","md5OfMessageAttributes":"3d8a3ab4d5ab2d9a4a1b0a5c4d2a6e01","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:%s","awsRegion":"us-east-2"}`, queue)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// Kinesis returns a Kinesis event with n records of about 600 bytes each
// (16 partition keys).
func Kinesis(n int) []byte {
	var b strings.Builder
	b.Grow(n * 700)
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		pk := fmt.Sprintf("pk-%d", i%16)
		if Fails(i) {
			pk = "fail"
		}
		data := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"orderId":"order-%08d","customer":"customer-%04d","amount":%d.%02d,"currency":"EUR"}`, i, i%1000, i%500, i%100))
		seq := fmt.Sprintf("49590338271490256608559692538361571095921575989136%06d", i)
		fmt.Fprintf(&b, `{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"%s","sequenceNumber":"%s","data":"%s","approximateArrivalTimestamp":1545084650.987},`, pk, seq, data)
		fmt.Fprintf(&b, `"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":"shardId-000000000006:%s","eventName":"aws:kinesis:record","invokeIdentityArn":"arn:aws:iam::123456789012:role/lambda-role","awsRegion":"us-east-2","eventSourceARN":"arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"}`, seq)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// DynamoDB returns a DynamoDB Streams event with n MODIFY records (old and
// new images with string, number, boolean, list, map and set attributes),
// about 900 bytes each.
func DynamoDB(n int) []byte {
	var b strings.Builder
	b.Grow(n * 1000)
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		name := "MODIFY"
		if Fails(i) {
			name = "REMOVE"
		}
		image := func(status string) string {
			return fmt.Sprintf(`{"Id":{"N":"%d"},"Customer":{"S":"customer-%04d"},"Status":{"S":"%s"},"Amount":{"N":"%d.%02d"},"Paid":{"BOOL":true},"Tags":{"SS":["a","b"]},"Items":{"L":[{"M":{"Sku":{"S":"sku-1"},"Qty":{"N":"1"}}},{"M":{"Sku":{"S":"sku-2"},"Qty":{"N":"2"}}}]},"Note":{"NULL":true}}`, i, i%1000, status, i%500, i%100)
		}
		fmt.Fprintf(&b, `{"eventID":"%032x","eventName":"%s","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-2",`, i, name)
		fmt.Fprintf(&b, `"dynamodb":{"ApproximateCreationDateTime":1545084650,"Keys":{"Id":{"N":"%d"}},"OldImage":%s,"NewImage":%s,"SequenceNumber":"%021d","SizeBytes":312,"StreamViewType":"NEW_AND_OLD_IMAGES"},`, i, image("pending"), image("paid"), i+100000000000000000)
		b.WriteString(`"eventSourceARN":"arn:aws:dynamodb:us-east-2:123456789012:table/orders/stream/2024-01-01T00:00:00.000"}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}
