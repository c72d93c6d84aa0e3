package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

// pOrder validates itself through a pointer receiver.
type pOrder struct {
	Amount float64 `json:"amount"`
}

func (o *pOrder) Validate() error {
	if o.Amount <= 0 {
		return errors.New("amount must be positive")
	}
	return nil
}

// Issue 10 item 5: typed payloads whose type is a pointer are validated
// (pointer and value receivers alike); a null payload fails too.
func TestPointerPayloadsAreValidated(t *testing.T) {
	bodies := []string{`{"amount":3}`, `{"amount":-1}`, `null`}
	sqs := batchtest.SQSEvent(bodies...)
	want := []string{sqs.Records[1].MessageId, sqs.Records[2].MessageId}
	t.Run("SQSJSON[*pOrder]", func(t *testing.T) {
		var handled int
		h := processors.SQSJSON(func(_ context.Context, o *pOrder, _ *events.SQSMessage) error { handled++; return nil })
		b := core.NewBatch(batchtest.SQSEvent(bodies...).Records, h)
		resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
		require.NoError(t, err)
		require.Equal(t, want, batchtest.FailedIDs(resp))
		require.Equal(t, 1, handled)
		require.ErrorIs(t, b.Outcomes[1].Err, payload.ErrInvalid)
		require.ErrorIs(t, b.Outcomes[2].Err, payload.ErrNilPayload)
	})
	t.Run("SQSJSON[*order] value receiver", func(t *testing.T) {
		h := processors.SQSJSON(func(_ context.Context, o *order, _ *events.SQSMessage) error { return nil })
		resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), batchtest.SQSEvent(bodies...).Records, h)
		require.NoError(t, err)
		require.Equal(t, want, batchtest.FailedIDs(resp))
	})
	t.Run("KinesisJSON[*pOrder]", func(t *testing.T) {
		h := processors.KinesisJSON(func(_ context.Context, o *pOrder, _ *events.KinesisEventRecord) error { return nil })
		recs := make([]batchtest.KinesisRecord, len(bodies))
		for i, b := range bodies {
			recs[i] = batchtest.KinesisRecord{Data: b}
		}
		kin := batchtest.KinesisEvent(recs...)
		resp, err := core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), kin.Records, h)
		require.NoError(t, err)
		require.Equal(t, []string{kin.Records[1].Kinesis.SequenceNumber, kin.Records[2].Kinesis.SequenceNumber}, batchtest.FailedIDs(resp))
	})
	t.Run("DynamoDBNewImage[*pOrder]", func(t *testing.T) {
		img := func(n string) map[string]events.DynamoDBAttributeValue {
			return map[string]events.DynamoDBAttributeValue{"amount": events.NewNumberAttribute(n)}
		}
		var handled int
		h := processors.DynamoDBNewImage(func(_ context.Context, o **pOrder, _ *events.DynamoDBEventRecord) error { handled++; return nil })
		ev := batchtest.DynamoDBEvent(batchtest.Insert("1", img("3")), batchtest.Insert("2", img("-1")))
		resp, err := core.Process(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{})), ev.Records, h)
		require.NoError(t, err)
		require.Equal(t, []string{ev.Records[1].Change.SequenceNumber}, batchtest.FailedIDs(resp))
		require.Equal(t, 1, handled)
	})
}

// Issue 10 item 6: attribute names and values that Go quotes with escapes
// JSON does not have (\x00, \x7f, \U000e0067) give valid JSON, and the
// record decodes.
func TestImageJSONIsValidForEveryName(t *testing.T) {
	names := []string{
		"\x00nul", "del\x7f", "tab\t", "quote\"", "back\\slash",
		"\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", // England flag
		"invalid\xffutf8", "\u2028line",
	}
	img := map[string]events.DynamoDBAttributeValue{}
	for i, n := range names {
		img[n] = events.NewStringAttribute(n + string(rune('a'+i)))
	}
	img["bin"] = events.NewBinaryAttribute([]byte{0, 1, 2})
	img["num"] = events.NewNumberAttribute("not\x00a number")
	data, err := processors.ImageJSON(img)
	require.NoError(t, err)
	require.True(t, json.Valid(data), "%s", data)
	var got map[string]any
	require.NoError(t, json.Unmarshal(data, &got))
	require.Equal(t, "\x00nula", got["\x00nul"])
	require.Contains(t, got, "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F")

	ev := batchtest.DynamoDBEvent(batchtest.Insert("1", img))
	h := processors.DynamoDBNewImage(func(_ context.Context, m *map[string]any, _ *events.DynamoDBEventRecord) error { return nil })
	resp, err := core.Process(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{})), ev.Records, h)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures, "the record decodes: no poison record")
}

// Issue 10 item 7: the DynamoDB ordering key is injective: two different
// items never share a key, so one's failure never stops the other.
func TestItemKeyIsInjective(t *testing.T) {
	rec := func(keys map[string]events.DynamoDBAttributeValue) *events.DynamoDBEventRecord {
		return &events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{Keys: keys}}
	}
	s := events.NewStringAttribute
	pairs := [][2]map[string]events.DynamoDBAttributeValue{
		{{"pk": s("x,sk=S:y"), "sk": s("z")}, {"pk": s("x"), "sk": s("y,sk=S:z")}},
		{{"a": s("1=S:2")}, {"a=S:1": s("2")}},
		{{"n": events.NewNumberAttribute("1")}, {"n": s("1")}},
		{{"b": events.NewBinaryAttribute([]byte("x"))}, {"b": s("x")}},
		{{"k": s(`a","l"=S:"b`)}, {"k": s("a"), "l": s("b")}},
	}
	for _, p := range pairs {
		require.NotEqual(t, processors.ItemKey(rec(p[0])), processors.ItemKey(rec(p[1])))
	}

	// Through the processor: the first item fails, the second still runs.
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{*rec(pairs[0][0]), *rec(pairs[0][1])}}
	for i := range ev.Records {
		ev.Records[i].EventSource = "aws:dynamodb"
		ev.Records[i].Change.SequenceNumber = strconv.Itoa(100 + i)
	}
	var ran []string
	h := func(_ context.Context, r *events.DynamoDBEventRecord) error {
		ran = append(ran, r.Change.SequenceNumber)
		if r.Change.SequenceNumber == "100" {
			return errBad
		}
		return nil
	}
	resp, err := core.Process(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{StopOnFirstFailure: true, OrderByKey: true})), ev.Records, h)
	require.NoError(t, err)
	require.Equal(t, []string{"100"}, batchtest.FailedIDs(resp))
	require.Len(t, ran, 2)
}
