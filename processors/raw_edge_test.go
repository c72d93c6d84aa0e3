package processors_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// TestRawEquivalenceEdgeCases: valid but unusual JSON (escapes, surrogates,
// invalid UTF-8, keys in another case, nulls, empty and duplicate members,
// unknown members, every DynamoDB attribute type) gives the handler exactly
// what json.Unmarshal gives.
func TestRawEquivalenceEdgeCases(t *testing.T) {
	ctx := context.Background()
	sqs := []string{
		`{"Records":[{"messageId":"a","body":"caf\u00e9 \ud83d\ude00 \ud800 x\/y\n\t\"q\" \\ \b\f\r","eventSource":"aws:sqs"}]}`,
		"{\"Records\":[{\"messageId\":\"b\",\"body\":\"bad utf8: \xff\xfe ok: \xc3\xa9\"}]}",
		`{"Records":[{"MessageID":"c","BODY":"upper","ReceiptHandle":"r","unknown":{"deep":[1,2.5e-3,true,false,null,{"x":"y"}]},"attributes":null,"messageAttributes":null}]}`,
		`{"Records":[{"messageId":null,"body":null,"attributes":{},"messageAttributes":{}}]}`,
		`{"Records":[{"messageId":"d","attributes":{"A":"1","A":"2","N":null},"messageAttributes":{"m":{"stringValue":null,"binaryValue":"aGk=","stringListValues":["x",null],"binaryListValues":["aGk=",""],"dataType":"Binary"},"n":{"StringValue":"s","dataType":"String","stringListValues":null}}}]}`,
		`{"Records":[{"messageId":"e","body":"first","body":"second"}],"other":{"Records":"ignored"}}`,
		" \n\t{ \"Records\" : [ { \"messageId\" : \"f\" , \"body\" : \"\" } , {\"messageId\":\"g\"} ] } \n",
		`{"Records":[]}`,
	}
	for _, ev := range sqs {
		t.Run("sqs "+ev, func(t *testing.T) {
			var e events.SQSEvent
			require.NoError(t, json.Unmarshal([]byte(ev), &e))
			sameRecords(t, ctx, e.Records, []byte(ev), core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), entry(processors.SQSHandler))
		})
	}
	kinesis := []string{
		`{"Records":[{"kinesis":{"sequenceNumber":"1","data":"","approximateArrivalTimestamp":1.5e9,"partitionKey":"p"},"eventSource":"aws:kinesis"}]}`,
		`{"Records":[{"kinesis":{"sequenceNumber":"2","data":null,"approximateArrivalTimestamp":null}},{"kinesis":null},{"Kinesis":{"SequenceNumber":"3","Data":"AAEC/w=="}}]}`,
		`{"Records":[{"kinesis":{"sequenceNumber":"4","data":"aGVsbG8=","approximateArrivalTimestamp":-12.75,"encryptionType":"KMS"},"invokeIdentityArn":"arn","eventID":"id"}]}`,
	}
	for _, ev := range kinesis {
		t.Run("kinesis "+ev, func(t *testing.T) {
			var e events.KinesisEvent
			require.NoError(t, json.Unmarshal([]byte(ev), &e))
			sameRecords(t, ctx, e.Records, []byte(ev), core.Must(processors.NewKinesis(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), entry(processors.KinesisHandler))
		})
	}
	dynamo := []string{
		`{"Records":[{"eventID":"1","dynamodb":{"SequenceNumber":"1","SizeBytes":26,"ApproximateCreationDateTime":1545084650.5,"Keys":{"k":{"S":"a"},"r":{"N":"1"}},"NewImage":{"s":{"S":"x"},"n":{"N":"-1.5e3"},"b":{"B":"aGk="},"t":{"BOOL":true},"f":{"BOOL":false},"z":{"NULL":true},"ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]},"bs":{"BS":["aGk=",""]},"l":{"L":[{"S":"x"},{"L":[]},{"M":{}}]},"m":{"M":{"a":{"N":"1"},"b":{"M":{"c":{"NULL":false}}}}},"el":{"L":[]},"em":{"M":{}},"es":{"SS":[]}},"OldImage":null,"StreamViewType":"NEW_IMAGE"},"userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"}}]}`,
		`{"Records":[{"dynamodb":{"SequenceNumber":"2","Keys":{},"NewImage":{"a":{"S":"1","S":"2"}}},"userIdentity":null},{"dynamodb":null},{"Dynamodb":{"sequencenumber":"3","sizebytes":1}}]}`,
	}
	for _, ev := range dynamo {
		t.Run("dynamodb "+ev, func(t *testing.T) {
			var e events.DynamoDBEvent
			require.NoError(t, json.Unmarshal([]byte(ev), &e))
			sameRecords(t, ctx, e.Records, []byte(ev), core.Must(processors.NewDynamoDB(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), entry(processors.DynamoDBHandler))
		})
	}
}

func sameRecords[R any](t *testing.T, ctx context.Context, typed []R, data []byte, p *core.Base[R],
	raw func(context.Context, core.PartialProcessor[R], []byte, core.Handler[R]) (core.Response, error)) {
	t.Helper()
	var got recorder[R]
	_, err := raw(ctx, p, data, got.handle)
	require.NoError(t, err)
	require.Len(t, got.got, len(typed))
	for i := range typed {
		require.True(t, reflect.DeepEqual(typed[i], got.got[i]), "record %d differs:\ntyped %#v\nraw   %#v", i, typed[i], got.got[i])
	}
}

// TestRawRecordErrors: records that json.Unmarshal rejects fail alone with a
// core.RecordDecodeError naming their identifier.
func TestRawRecordErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, event string
	}{
		{"sqs body number", `{"Records":[{"messageId":"x","body":1}]}`},
		{"sqs attribute not string", `{"Records":[{"messageId":"x","attributes":{"a":1}}]}`},
		{"sqs bad escape", `{"Records":[{"messageId":"x","body":"\q"}]}`},
		{"sqs bad unicode escape", `{"Records":[{"messageId":"x","body":"\u12G4"}]}`},
		{"sqs control character", "{\"Records\":[{\"messageId\":\"x\",\"body\":\"a\x01b\"}]}"},
		{"sqs bad literal", `{"Records":[{"messageId":"x","unknown":nul}]}`},
		{"sqs bad number", `{"Records":[{"messageId":"x","unknown":01}]}`},
		{"sqs binary not base64", `{"Records":[{"messageId":"x","messageAttributes":{"m":{"binaryValue":"###"}}}]}`},
		{"sqs trailing comma", `{"Records":[{"messageId":"x","body":"a",}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e events.SQSEvent
			require.Error(t, json.Unmarshal([]byte(c.event), &e), "encoding/json accepts it too")
			_, err := processors.SQSHandler(core.Must(processors.NewSQS(processors.Config{})), nop[events.SQSMessage])(ctx, []byte(c.event))
			var rde *core.RecordDecodeError
			require.ErrorAs(t, err, &rde)
			require.Equal(t, "x", rde.Identifier)
			require.Contains(t, rde.Error(), "record 0 (x)")
		})
	}
	dynamo := []struct{ name, event string }{
		{"two types", `{"Records":[{"dynamodb":{"SequenceNumber":"x","Keys":{"k":{"S":"a","N":"1"}}}}]}`},
		{"no type", `{"Records":[{"dynamodb":{"SequenceNumber":"x","Keys":{"k":{}}}}]}`},
		{"null value", `{"Records":[{"dynamodb":{"SequenceNumber":"x","Keys":{"k":null}}}]}`},
		{"S not string", `{"Records":[{"dynamodb":{"SequenceNumber":"x","Keys":{"k":{"S":1}}}}]}`},
		{"B not base64", `{"Records":[{"dynamodb":{"SequenceNumber":"x","Keys":{"k":{"B":"@@"}}}}]}`},
		{"BOOL not bool", `{"Records":[{"dynamodb":{"SequenceNumber":"x","Keys":{"k":{"BOOL":"true"}}}}]}`},
		{"L element not a value", `{"Records":[{"dynamodb":{"SequenceNumber":"x","NewImage":{"k":{"L":[1]}}}}]}`},
		{"SizeBytes not integer", `{"Records":[{"dynamodb":{"SequenceNumber":"x","SizeBytes":1.5}}]}`},
	}
	for _, c := range dynamo {
		t.Run("dynamodb "+c.name, func(t *testing.T) {
			var e events.DynamoDBEvent
			require.Error(t, json.Unmarshal([]byte(c.event), &e), "encoding/json accepts it too")
			_, err := processors.DynamoDBHandler(core.Must(processors.NewDynamoDB(processors.Config{})), nop[events.DynamoDBEventRecord])(ctx, []byte(c.event))
			var rde *core.RecordDecodeError
			require.ErrorAs(t, err, &rde)
			require.Equal(t, "x", rde.Identifier)
		})
	}
}
