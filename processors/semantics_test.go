package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
	"github.com/batchkit/batchkit/processors"
)

var errBad = errors.New("bad record")

// failBodies fails the messages whose body is "fail".
func failBodies(_ context.Context, m *events.SQSMessage) error {
	if m.Body == "fail" {
		return errBad
	}
	return nil
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// SPEC 1: a handler error fails only that record; processing goes on.
func TestHandlerErrorFailsOnlyThatRecord(t *testing.T) {
	ev := batchtest.SQSEvent("ok", "fail", "ok")
	var seen []string
	h := func(ctx context.Context, m *events.SQSMessage) error {
		seen = append(seen, m.MessageId)
		return failBodies(ctx, m)
	}
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, h)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
	require.Len(t, seen, 3, "every record is handled")
}

// SPEC 2: no failure gives an empty list, never null, in every response form.
func TestNoFailureIsAnEmptyList(t *testing.T) {
	ev := batchtest.SQSEvent("a", "b")
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, failBodies)
	require.NoError(t, err)
	require.JSONEq(t, `{"batchItemFailures":[]}`, marshal(t, resp))
	require.JSONEq(t, `{"batchItemFailures":[]}`, marshal(t, resp.SQS()))
	require.JSONEq(t, `{"batchItemFailures":[]}`, marshal(t, resp.Kinesis()))
	require.JSONEq(t, `{"batchItemFailures":[]}`, marshal(t, resp.DynamoDB()))
	require.JSONEq(t, `{"batchItemFailures":[]}`, marshal(t, core.Response{}))
}

// SPEC 3: failures are listed in input order, each identifier once, even
// when the batch holds the same message twice.
func TestFailuresInInputOrderAndDuplicateMessageIDsReportedOnce(t *testing.T) {
	ev := batchtest.SQSEvent("fail", "ok", "fail", "fail", "ok")
	ev.Records[3].MessageId = ev.Records[0].MessageId // a duplicate delivery
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, failBodies)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[0].MessageId, ev.Records[2].MessageId}, batchtest.FailedIDs(resp))
	require.JSONEq(t, fmt.Sprintf(`{"batchItemFailures":[{"itemIdentifier":%q},{"itemIdentifier":%q}]}`,
		ev.Records[0].MessageId, ev.Records[2].MessageId), marshal(t, resp.SQS()))
}

// Many failures switch the identifier index from a scan to a map; the
// result must be the same.
func TestManyFailuresWithDuplicates(t *testing.T) {
	bodies := make([]string, 200)
	for i := range bodies {
		bodies[i] = "fail"
	}
	bodies[0] = "ok"
	ev := batchtest.SQSEvent(bodies...)
	for i := 199; i >= 100; i-- { // downwards: record 199 takes record 100's id before it changes
		ev.Records[i].MessageId = ev.Records[i-99].MessageId // ids 1..100 again
	}
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, failBodies)
	require.NoError(t, err)
	ids := batchtest.FailedIDs(resp)
	require.Len(t, ids, 100) // ids 1..99 of records 1..99, then id 100 from record 199
	seen := map[string]bool{}
	for _, id := range ids {
		require.False(t, seen[id], "identifier %s reported twice", id)
		seen[id] = true
	}
}

// SPEC 4: every record failed: FullBatchFailure wrapping every record's
// error, with the full response still built; the option turns it off.
func TestFullBatchFailure(t *testing.T) {
	ev := batchtest.SQSEvent("fail", "fail")
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, failBodies)
	require.ErrorIs(t, err, core.ErrFullBatchFailure)
	var full *core.FullBatchFailureError
	require.ErrorAs(t, err, &full)
	require.Len(t, full.Errors, 2)
	require.ErrorIs(t, err, errBad, "the record errors are wrapped")
	require.Contains(t, err.Error(), "all 2 records")
	require.Len(t, resp.BatchItemFailures, 2, "the response is still built")

	resp, err = core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), ev.Records, failBodies)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[0].MessageId, ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
}

// SPEC 5: FIFO stops at the first failure by default.
func TestFIFOStopsAtFirstFailure(t *testing.T) {
	ev := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "a", Body: "ok"},
		batchtest.FIFOMessage{Group: "b", Body: "fail"},
		batchtest.FIFOMessage{Group: "c", Body: "ok"},
		batchtest.FIFOMessage{Group: "a", Body: "ok"},
	)
	b := core.NewBatch(ev.Records, failBodies)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQSFIFO(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].MessageId, ev.Records[2].MessageId, ev.Records[3].MessageId}, batchtest.FailedIDs(resp))
	require.Equal(t, core.StatusSuccess, b.Outcomes[0].Status)
	require.Equal(t, core.StatusFailure, b.Outcomes[1].Status)
	for _, i := range []int{2, 3} {
		require.Equal(t, core.StatusNotStarted, b.Outcomes[i].Status)
		var sc *core.UnhandledError
		require.ErrorAs(t, b.Outcomes[i].Err, &sc)
		require.ErrorIs(t, sc, core.ErrShortCircuit)
		require.Empty(t, sc.Key, "the whole batch stops")
		require.Equal(t, 1, sc.FailedPosition)
	}
}

// SPEC 5: with skip-group-on-error only the failed group stops; records
// without a group id never poison others.
func TestFIFOSkipGroupOnError(t *testing.T) {
	ev := batchtest.FIFOEvent(
		batchtest.FIFOMessage{Group: "a", Body: "fail"},
		batchtest.FIFOMessage{Group: "", Body: "fail"},
		batchtest.FIFOMessage{Group: "b", Body: "ok"},
		batchtest.FIFOMessage{Group: "a", Body: "ok"},
		batchtest.FIFOMessage{Group: "", Body: "ok"},
		batchtest.FIFOMessage{Group: "b", Body: "ok"},
	)
	b := core.NewBatch(ev.Records, failBodies)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true})), b)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[0].MessageId, ev.Records[1].MessageId, ev.Records[3].MessageId}, batchtest.FailedIDs(resp))
	var sc *core.UnhandledError
	require.ErrorAs(t, b.Outcomes[3].Err, &sc)
	require.ErrorIs(t, sc, core.ErrShortCircuit)
	require.Equal(t, "a", sc.Key)
	require.Equal(t, core.StatusSuccess, b.Outcomes[4].Status, "a record without group is not stopped by another one without group")
}

// SPEC 5 and 10: group state never leaks from one invocation to the next,
// with one processor reused warm.
func TestFIFOGroupStateDoesNotLeakBetweenInvocations(t *testing.T) {
	p := core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true}))
	first := batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "a", Body: "fail"}, batchtest.FIFOMessage{Group: "b", Body: "ok"})
	resp, err := core.Process(context.Background(), p, first.Records, failBodies)
	require.NoError(t, err)
	require.Len(t, resp.BatchItemFailures, 1)

	second := batchtest.FIFOEvent(batchtest.FIFOMessage{Group: "a", Body: "ok"}, batchtest.FIFOMessage{Group: "a", Body: "ok"})
	resp, err = core.Process(context.Background(), p, second.Records, failBodies)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures, "group a failed in the previous invocation only")

	strict := core.Must(processors.NewSQSFIFO(processors.Config{}))
	_, err = core.Process(context.Background(), strict, first.Records, failBodies)
	require.ErrorIs(t, err, core.ErrFullBatchFailure, "the first record failed and stopped the second")
	resp, err = core.Process(context.Background(), strict, second.Records, failBodies)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures, "the batch stop does not outlive its invocation")
}

// SPEC 6: an empty batch is an empty response and no error.
func TestEmptyBatch(t *testing.T) {
	called := false
	h := func(context.Context, *events.SQSMessage) error { called = true; return nil }
	for _, p := range []*processors.SQSProcessor{core.Must(processors.NewSQS(processors.Config{})), core.Must(processors.NewSQSFIFO(processors.Config{}))} {
		resp, err := core.Process(context.Background(), p, nil, h)
		require.NoError(t, err)
		require.JSONEq(t, `{"batchItemFailures":[]}`, marshal(t, resp))
	}
	require.False(t, called)
}

// SPEC 7: a record from another event source is refused before any handler
// runs; an empty eventSource is accepted.
func TestEventSourceMismatch(t *testing.T) {
	ev := batchtest.SQSEvent("ok", "ok", "ok")
	ev.Records[2].EventSource = "aws:kinesis"
	calls := 0
	h := func(context.Context, *events.SQSMessage) error { calls++; return nil }
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, h)
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)
	require.Contains(t, err.Error(), `record 2 has eventSource "aws:kinesis"`)
	require.Contains(t, err.Error(), `"aws:sqs"`)
	require.Zero(t, calls, "no handler runs")
	require.Empty(t, resp.BatchItemFailures)

	ev.Records[2].EventSource = ""
	_, err = core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, h)
	require.NoError(t, err)
	require.Equal(t, 3, calls)

	kin := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "x"})
	kin.Records[0].EventSource = "aws:sqs"
	_, err = core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), kin.Records, func(context.Context, *events.KinesisEventRecord) error { return nil })
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)
	ddb := batchtest.DynamoDBEvent(batchtest.Insert("1", nil))
	ddb.Records[0].EventSource = "aws:kinesis"
	_, err = core.Process(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{})), ddb.Records, func(context.Context, *events.DynamoDBEventRecord) error { return nil })
	require.ErrorIs(t, err, core.ErrEventSourceMismatch)
}

// SPEC 8: a failed record without identifier fails the invocation, naming
// its position; a successful one without identifier is harmless.
func TestUnidentifiableFailure(t *testing.T) {
	ev := batchtest.SQSEvent("ok", "fail", "ok")
	ev.Records[1].MessageId = ""
	resp, err := core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, failBodies)
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
	var un *core.UnidentifiableFailureError
	require.ErrorAs(t, err, &un)
	require.Equal(t, []int{1}, un.Positions)
	require.ErrorIs(t, err, errBad)
	require.Empty(t, resp.BatchItemFailures, "an empty identifier is never reported")

	ev.Records[1].Body = "ok"
	_, err = core.Process(context.Background(), core.Must(processors.NewSQS(processors.Config{})), ev.Records, failBodies)
	require.NoError(t, err)

	kin := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "x"}, batchtest.KinesisRecord{Data: "y"})
	kin.Records[0].Kinesis.SequenceNumber = ""
	_, err = core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), kin.Records,
		func(context.Context, *events.KinesisEventRecord) error { return errBad })
	require.ErrorIs(t, err, core.ErrFullBatchFailure, "all failed: full batch failure takes precedence")
	_, err = core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{Options: core.Options{SuppressFullBatchError: true}})), kin.Records,
		func(context.Context, *events.KinesisEventRecord) error { return errBad })
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
}

// A panicking handler fails its record alone; the panic keeps its stack.
func TestPanickingHandler(t *testing.T) {
	ev := batchtest.SQSEvent("ok", "panic", "ok")
	h := func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "panic" {
			panic("boom")
		}
		return nil
	}
	b := core.NewBatch(ev.Records, h)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].MessageId}, batchtest.FailedIDs(resp))
	var pe *core.PanicError
	require.ErrorAs(t, b.Outcomes[1].Err, &pe)
	require.ErrorIs(t, b.Outcomes[1].Err, core.ErrPanic)
	require.Equal(t, "boom", pe.Value)
	require.Contains(t, string(pe.Stack), "TestPanickingHandler", "the stack leads to the panic")
	require.Equal(t, core.StatusSuccess, b.Outcomes[2].Status, "processing goes on")
}

// A panic with an error value unwraps to it.
func TestPanicWithErrorValueUnwraps(t *testing.T) {
	ev := batchtest.SQSEvent("x", "y")
	h := func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "x" {
			panic(errBad)
		}
		return nil
	}
	b := core.NewBatch(ev.Records, h)
	_, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	require.NoError(t, err)
	require.ErrorIs(t, b.Outcomes[0].Err, errBad)
}

// SPEC 11: the handler's context is the invocation's: Lambda context and
// deadline. A handler that blocks until its context is cancelled fails with
// the context's error when the invocation is cancelled.
func TestHandlerContextIsTheInvocations(t *testing.T) {
	ctx, cancel := batchtest.LambdaContext(context.Background(), time.Minute)
	defer cancel()
	ev := batchtest.SQSEvent("x")
	h := func(ctx context.Context, _ *events.SQSMessage) error {
		lc, ok := lambdacontext.FromContext(ctx)
		require.True(t, ok)
		require.NotEmpty(t, lc.AwsRequestID)
		_, has := ctx.Deadline()
		require.True(t, has)
		return nil
	}
	_, err := core.Process(ctx, core.Must(processors.NewSQS(processors.Config{})), ev.Records, h)
	require.NoError(t, err)
}

func TestHandlerBlockingUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ev := batchtest.SQSEvent("block", "after")
	started := make(chan struct{})
	go func() { <-started; cancel() }()
	var calls []string
	h := func(ctx context.Context, m *events.SQSMessage) error {
		calls = append(calls, m.Body)
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	b := core.NewBatch(ev.Records, h)
	resp, err := core.Run(ctx, core.Must(processors.NewSQS(processors.Config{})), b)
	require.ErrorIs(t, err, core.ErrFullBatchFailure, "both records failed: the whole batch is retried")
	require.Len(t, resp.BatchItemFailures, 2)
	require.Equal(t, []string{"block"}, calls, "no record starts after the context is done")
	require.ErrorIs(t, b.Outcomes[0].Err, context.Canceled)
	require.Equal(t, core.StatusNotStarted, b.Outcomes[1].Status)
	require.ErrorIs(t, b.Outcomes[1].Err, core.ErrCanceled)
	require.ErrorIs(t, b.Outcomes[1].Err, context.Canceled)
}

// SPEC 10: one processor serves concurrent invocations (run with -race).
func TestConcurrentInvocationsShareOneProcessor(t *testing.T) {
	processorsUnderTest := []*processors.SQSProcessor{
		core.Must(processors.NewSQS(processors.Config{})), core.Must(processors.NewSQSFIFO(processors.Config{})), core.Must(processors.NewSQSFIFO(processors.Config{SkipGroupOnError: true})),
	}
	for _, p := range processorsUnderTest {
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				msgs := make([]batchtest.FIFOMessage, 20)
				for i := range msgs {
					msgs[i] = batchtest.FIFOMessage{Group: fmt.Sprint("g", i%3), Body: "ok"}
				}
				failAt := g % 20
				msgs[failAt].Body = "fail"
				ev := batchtest.FIFOEvent(msgs...)
				for i := range ev.Records {
					ev.Records[i].MessageId = fmt.Sprintf("inv%d-msg%d", g, i)
				}
				resp, err := core.Process(context.Background(), p, ev.Records, failBodies)
				if err != nil {
					require.ErrorIs(t, err, core.ErrFullBatchFailure)
				}
				ids := batchtest.FailedIDs(resp)
				require.NotEmpty(t, ids)
				require.Equal(t, fmt.Sprintf("inv%d-msg%d", g, failAt), ids[0], "each invocation reports its own records")
				for _, id := range ids {
					require.True(t, strings.HasPrefix(id, fmt.Sprintf("inv%d-", g)))
				}
			})
		}
		wg.Wait()
	}
}

// SPEC 12: every record's outcome is visible after processing.
func TestOutcomesWithResults(t *testing.T) {
	ev := batchtest.SQSEvent("7", "fail", "12")
	h := func(_ context.Context, m *events.SQSMessage) error {
		if m.Body == "fail" {
			return errBad
		}
		return nil
	}
	b := core.NewBatch(ev.Records, h)
	_, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []core.Outcome{
		{Status: core.StatusSuccess},
		{Status: core.StatusFailure, Err: errBad},
		{Status: core.StatusSuccess},
	}, b.Outcomes)
	require.True(t, b.Outcomes[1].Failed())
	require.False(t, b.Outcomes[0].Failed())
}

type order struct {
	ID     string  `json:"id"`
	Amount float64 `json:"amount"`
}

func (o order) Validate() error {
	if o.Amount <= 0 {
		return errors.New("amount must be positive")
	}
	return nil
}

// SPEC 13: typed payloads; a record that does not decode or validate fails
// alone, still identified.
func TestTypedSQSPayload(t *testing.T) {
	ev := batchtest.SQSEvent(`{"id":"a","amount":3}`, `not json`, `{"id":"c","amount":-1}`, `{"id":"d","amount":1}`)
	var got []order
	h := processors.SQSJSON(func(_ context.Context, o order, _ *events.SQSMessage) error {
		got = append(got, o)
		return nil
	})
	b := core.NewBatch(ev.Records, h)
	resp, err := core.Run(context.Background(), core.Must(processors.NewSQS(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].MessageId, ev.Records[2].MessageId}, batchtest.FailedIDs(resp))
	require.Equal(t, []order{{"a", 3}, {"d", 1}}, got)
	var de *payload.DecodeError
	require.ErrorAs(t, b.Outcomes[1].Err, &de)
	require.Contains(t, de.Error(), "SQS body")
	require.ErrorIs(t, b.Outcomes[2].Err, payload.ErrInvalid)
	require.ErrorContains(t, b.Outcomes[2].Err, "amount must be positive")
}

func TestTypedKinesisPayload(t *testing.T) {
	ev := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: `{"id":"a","amount":1}`}, batchtest.KinesisRecord{Data: `{`})
	var got []order
	h := processors.KinesisJSON(func(_ context.Context, o order, _ *events.KinesisEventRecord) error {
		got = append(got, o)
		return nil
	})
	resp, err := core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), ev.Records, h)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[1].Kinesis.SequenceNumber}, batchtest.FailedIDs(resp))
	require.Equal(t, []order{{"a", 1}}, got)
}

type item struct {
	ID     string   `json:"id"`
	Count  int      `json:"count"`
	Tags   []string `json:"tags"`
	Active bool     `json:"active"`
	Nested struct {
		Deep []any `json:"deep"`
	} `json:"nested"`
}

// A DynamoDB REMOVE has no new image: the typed handler still runs, with a
// nil image; images of every attribute type decode.
func TestDynamoDBNewImageAndRemoveWithoutNewImage(t *testing.T) {
	img := map[string]events.DynamoDBAttributeValue{
		"id":     events.NewStringAttribute("1"),
		"count":  events.NewNumberAttribute("42"),
		"tags":   events.NewStringSetAttribute([]string{"x", "y"}),
		"active": events.NewBooleanAttribute(true),
		"nested": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
			"deep": events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewNullAttribute(), events.NewNumberAttribute("1.5")}),
		}),
	}
	bad := map[string]events.DynamoDBAttributeValue{"count": events.NewStringAttribute("not a number")}
	ev := batchtest.DynamoDBEvent(batchtest.Insert("1", img), batchtest.Remove("1", img), batchtest.Modify("2", img, bad))
	var got []*item
	var names []string
	h := processors.DynamoDBNewImage(func(_ context.Context, it *item, rec *events.DynamoDBEventRecord) error {
		got = append(got, it)
		names = append(names, rec.EventName)
		return nil
	})
	b := core.NewBatch(ev.Records, h)
	resp, err := core.Run(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{})), b)
	require.NoError(t, err)
	require.Equal(t, []string{ev.Records[2].Change.SequenceNumber}, batchtest.FailedIDs(resp))
	require.Equal(t, []string{"INSERT", "REMOVE"}, names)
	require.NotNil(t, got[0])
	require.Equal(t, "1", got[0].ID)
	require.Equal(t, 42, got[0].Count)
	require.Equal(t, []string{"x", "y"}, got[0].Tags)
	require.True(t, got[0].Active)
	require.Equal(t, []any{nil, 1.5}, got[0].Nested.Deep)
	require.Nil(t, got[1], "REMOVE has no new image")
	var de *payload.DecodeError
	require.ErrorAs(t, b.Outcomes[2].Err, &de)
}

func TestImageJSON(t *testing.T) {
	data, err := processors.ImageJSON(map[string]events.DynamoDBAttributeValue{
		"b":  events.NewBinaryAttribute([]byte("hi")),
		"n":  events.NewNumberAttribute("1e3"),
		"ns": events.NewNumberSetAttribute([]string{"1", "2"}),
		"bs": events.NewBinarySetAttribute([][]byte{[]byte("a")}),
	})
	require.NoError(t, err)
	require.JSONEq(t, `{"b":"aGk=","n":1e3,"ns":[1,2],"bs":["YQ=="]}`, string(data))
}

// Streams report by sequence number, never eventID.
func TestStreamIdentifiers(t *testing.T) {
	kin := batchtest.KinesisEvent(batchtest.KinesisRecord{Data: "a"}, batchtest.KinesisRecord{Data: "b"})
	resp, err := core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), kin.Records,
		func(_ context.Context, r *events.KinesisEventRecord) error {
			if string(r.Kinesis.Data) == "b" {
				return errBad
			}
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, []string{kin.Records[1].Kinesis.SequenceNumber}, batchtest.FailedIDs(resp))
	require.JSONEq(t, fmt.Sprintf(`{"batchItemFailures":[{"itemIdentifier":%q}]}`, kin.Records[1].Kinesis.SequenceNumber), marshal(t, resp.Kinesis()))

	ddb := batchtest.DynamoDBEvent(batchtest.Insert("1", nil), batchtest.Insert("2", nil))
	resp, err = core.Process(context.Background(), core.Must(processors.NewDynamoDB(processors.Config{})), ddb.Records,
		func(_ context.Context, r *events.DynamoDBEventRecord) error {
			if processors.ItemKey(r) == `"id"=S:"1"` {
				return errBad
			}
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, []string{ddb.Records[0].Change.SequenceNumber}, batchtest.FailedIDs(resp))
}

func TestItemKeyIsStableAcrossAttributeOrder(t *testing.T) {
	r := events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{
		"pk": events.NewStringAttribute("a"), "sk": events.NewNumberAttribute("7"),
	}}}
	require.Equal(t, `"pk"=S:"a","sk"=N:"7"`, processors.ItemKey(&r))
	require.Empty(t, processors.ItemKey(&events.DynamoDBEventRecord{}))
}

// Invalid options are reported, naming the setting.
func TestInvalidOptions(t *testing.T) {
	_, err := processors.NewSQS(processors.Config{SkipGroupOnError: true})
	require.ErrorContains(t, err, "SkipGroupOnError")
	_, err = processors.NewKinesis(processors.Config{Options: core.Options{Concurrency: -1}})
	require.ErrorContains(t, err, "Concurrency")
	_, err = processors.NewSQSFIFO(processors.Config{OrderByKey: true})
	require.ErrorContains(t, err, "OrderByKey")
	_, err = processors.NewDynamoDB(processors.Config{Options: core.Options{DeadlineMargin: -time.Second}})
	require.ErrorContains(t, err, "DeadlineMargin")
	require.Panics(t, func() { core.Must(processors.NewSQS(processors.Config{Options: core.Options{Concurrency: -2}})) })
}
