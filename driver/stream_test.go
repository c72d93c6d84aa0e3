package driver_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

// fakeKinesis is one shard of records 1..n (sequence numbers "01".."n"); an
// iterator is the index of the next record.
type fakeKinesis struct {
	seqs      []string
	iterators []string        // the iterator types asked for, with their sequence number
	expired   map[string]bool // iterators that have expired
}

func (f *fakeKinesis) DescribeStream(context.Context, *kinesis.DescribeStreamInput, ...func(*kinesis.Options)) (*kinesis.DescribeStreamOutput, error) {
	return &kinesis.DescribeStreamOutput{StreamDescription: &ktypes.StreamDescription{
		StreamARN: aws.String("arn:aws:kinesis:us-east-1:000000000000:stream/s"),
		Shards:    []ktypes.Shard{{ShardId: aws.String("shardId-0")}},
	}}, nil
}

func (f *fakeKinesis) GetShardIterator(_ context.Context, in *kinesis.GetShardIteratorInput, _ ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	f.iterators = append(f.iterators, string(in.ShardIteratorType)+" "+aws.ToString(in.StartingSequenceNumber))
	i := 0
	switch in.ShardIteratorType {
	case ktypes.ShardIteratorTypeAtSequenceNumber, ktypes.ShardIteratorTypeAfterSequenceNumber:
		for i < len(f.seqs) && f.seqs[i] != aws.ToString(in.StartingSequenceNumber) {
			i++
		}
		if in.ShardIteratorType == ktypes.ShardIteratorTypeAfterSequenceNumber {
			i++
		}
	}
	return &kinesis.GetShardIteratorOutput{ShardIterator: aws.String(strconv.Itoa(i))}, nil
}

func (f *fakeKinesis) GetRecords(_ context.Context, in *kinesis.GetRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	if f.expired[aws.ToString(in.ShardIterator)] {
		delete(f.expired, aws.ToString(in.ShardIterator)) // a new iterator works
		return nil, &ktypes.ExpiredIteratorException{Message: aws.String("Iterator expired")}
	}
	i, _ := strconv.Atoi(aws.ToString(in.ShardIterator))
	end := min(i+int(aws.ToInt32(in.Limit)), len(f.seqs))
	out := &kinesis.GetRecordsOutput{NextShardIterator: aws.String(strconv.Itoa(end))}
	for _, s := range f.seqs[i:end] {
		out.Records = append(out.Records, ktypes.Record{SequenceNumber: aws.String(s), PartitionKey: aws.String("k"), Data: []byte(s)})
	}
	return out, nil
}

// The checkpoint is the lowest reported sequence number, compared as a
// number ("9" < "10"), and an error re-reads the whole batch.
func TestKinesisCheckpointRules(t *testing.T) {
	tests := []struct {
		name     string
		respond  string // response to the first invocation; "error" fails it
		wantNext string // first record of the second batch
	}{
		{"success goes on after the batch", `{"batchItemFailures":[]}`, "12"},
		{"lowest reported, as a number", `{"batchItemFailures":[{"itemIdentifier":"10"},{"itemIdentifier":"9"}]}`, "9"},
		{"error re-reads the batch", "error", "8"},
		{"invalid response re-reads the batch", `{"batchItemFailures":[{"itemIdentifier":""}]}`, "8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeKinesis{seqs: []string{"8", "9", "10", "11", "12", "13"}}
			d := &driver.Kinesis{Client: f, StreamName: "s", BatchSize: 4, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
			calls := 0
			fn := driver.FunctionFunc(func(_ context.Context, event []byte) ([]byte, error) {
				calls++
				if calls == 1 && tt.respond == "error" {
					return nil, &driver.FunctionError{Type: "x", Message: "boom"}
				}
				if calls == 1 {
					return []byte(tt.respond), nil
				}
				return nil, nil
			})
			first, err := d.Poll(context.Background(), fn)
			require.NoError(t, err)
			require.Len(t, first, 1)
			require.Equal(t, []string{"8", "9", "10", "11"}, first[0].IDs)
			var ev events.KinesisEvent
			require.NoError(t, json.Unmarshal(first[0].Event, &ev))
			require.Equal(t, "shardId-0:8", ev.Records[0].EventID)
			require.Equal(t, []byte("8"), ev.Records[0].Kinesis.Data)
			require.Equal(t, "arn:aws:kinesis:us-east-1:000000000000:stream/s", ev.Records[0].EventSourceArn)

			second, err := d.Poll(context.Background(), fn)
			require.NoError(t, err)
			require.Len(t, second, 1)
			require.Equal(t, tt.wantNext, second[0].IDs[0])
			if tt.wantNext != "12" {
				require.Equal(t, "AT_SEQUENCE_NUMBER "+tt.wantNext, f.iterators[len(f.iterators)-1])
			}
		})
	}
}

// An expired iterator is replaced by one at the shard's position: after the
// last record processed, or at the checkpoint.
func TestKinesisExpiredIterator(t *testing.T) {
	f := &fakeKinesis{seqs: []string{"1", "2", "3", "4", "5", "6"}, expired: map[string]bool{}}
	d := &driver.Kinesis{Client: f, StreamName: "s", BatchSize: 2, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	ok := driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil })
	first, err := d.Poll(context.Background(), ok)
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2"}, first[0].IDs)
	f.expired["2"] = true // the iterator the shard would read next
	second, err := d.Poll(context.Background(), ok)
	require.NoError(t, err)
	require.Equal(t, []string{"3", "4"}, second[0].IDs)
	require.Equal(t, "AFTER_SEQUENCE_NUMBER 2", f.iterators[len(f.iterators)-1])
}

func TestAttributeValue(t *testing.T) {
	tests := []struct {
		name string
		in   types.AttributeValue
		want events.DynamoDBAttributeValue
	}{
		{"S", &types.AttributeValueMemberS{Value: "x"}, events.NewStringAttribute("x")},
		{"N", &types.AttributeValueMemberN{Value: "1.5"}, events.NewNumberAttribute("1.5")},
		{"B", &types.AttributeValueMemberB{Value: []byte("b")}, events.NewBinaryAttribute([]byte("b"))},
		{"BOOL", &types.AttributeValueMemberBOOL{Value: true}, events.NewBooleanAttribute(true)},
		{"NULL", &types.AttributeValueMemberNULL{Value: true}, events.NewNullAttribute()},
		{"SS", &types.AttributeValueMemberSS{Value: []string{"a"}}, events.NewStringSetAttribute([]string{"a"})},
		{"NS", &types.AttributeValueMemberNS{Value: []string{"1"}}, events.NewNumberSetAttribute([]string{"1"})},
		{"BS", &types.AttributeValueMemberBS{Value: [][]byte{[]byte("b")}}, events.NewBinarySetAttribute([][]byte{[]byte("b")})},
		{"L", &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}}}, events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("x")})},
		{"M", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "2"}}}, events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"k": events.NewNumberAttribute("2")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(driver.AttributeValue(tt.in))
			require.NoError(t, err)
			want, err := json.Marshal(tt.want)
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(got))
		})
	}
	require.Nil(t, driver.Image(nil), "no image stays no image")
}

// A stream mapping is pending while a failed batch is to be delivered again
// (even when its records are to be read again from the checkpoint), and not
// once everything read is done.
func TestKinesisPending(t *testing.T) {
	f := &fakeKinesis{seqs: []string{"1", "2"}}
	d := &driver.Kinesis{Client: f, StreamName: "s", StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}
	calls := 0
	fn := driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
		if calls++; calls == 1 {
			return nil, &driver.FunctionError{Type: "x", Message: "boom"}
		}
		return nil, nil
	})
	require.False(t, d.Pending())
	_, err := d.Poll(context.Background(), fn)
	require.NoError(t, err)
	require.True(t, d.Pending(), "the failed batch is to be delivered again")
	_, err = d.Poll(context.Background(), fn)
	require.NoError(t, err)
	require.False(t, d.Pending())
}

// A window whose end has passed is closed only once its records are done:
// a failed invocation is retried before the final invocation, which then
// carries the state of every record of the window.
func TestTumblingWindowClosesAfterRetries(t *testing.T) {
	f := &fakeKinesis{seqs: []string{"1", "2", "3"}} // no arrival times: a window long past
	type tw struct {
		Records []events.KinesisEventRecord `json:"Records"`
		State   map[string]int              `json:"state"`
		Final   bool                        `json:"isFinalInvokeForWindow"`
	}
	var seen []tw
	fn := driver.Handler(func(_ context.Context, e tw) (map[string]any, error) {
		seen = append(seen, e)
		if len(seen) == 1 {
			return map[string]any{}, nil // no state: the invocation fails
		}
		e.State["n"] += len(e.Records)
		return map[string]any{"state": e.State}, nil
	})
	d := &driver.Kinesis{Client: f, StreamName: "s", StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true, TumblingWindow: time.Minute}}
	for range 3 {
		_, err := d.Poll(context.Background(), fn)
		require.NoError(t, err)
	}
	require.Len(t, seen, 3)
	require.False(t, seen[0].Final)
	require.False(t, seen[1].Final, "the failed batch is retried before the window closes")
	require.Len(t, seen[1].Records, 3)
	require.True(t, seen[2].Final)
	require.Equal(t, 3, seen[2].State["n"])
}

// Without ReportBatchItemFailures in FunctionResponseTypes, Lambda ignores
// the response: reported records count as processed, only an error fails
// the batch.
func TestWithoutReportBatchItemFailures(t *testing.T) {
	tests := []struct {
		name     string
		noReport bool
		wantNext string
	}{
		{"with ReportBatchItemFailures", false, "2"},
		{"without", true, "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeKinesis{seqs: []string{"1", "2", "3", "4"}}
			d := &driver.Kinesis{Client: f, StreamName: "s", BatchSize: 3, StreamSettings: driver.StreamSettings{ReportBatchItemFailures: !tt.noReport}}
			fn := driver.FunctionFunc(func(context.Context, []byte) ([]byte, error) {
				return []byte(`{"batchItemFailures":[{"itemIdentifier":"2"}]}`), nil
			})
			first, err := d.Poll(context.Background(), fn)
			require.NoError(t, err)
			require.NoError(t, first[0].Err)
			second, err := d.Poll(context.Background(), fn)
			require.NoError(t, err)
			require.Equal(t, tt.wantNext, second[0].IDs[0])
		})
	}
}
