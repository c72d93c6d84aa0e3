package firehose_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/internal/contracttest"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
)

// firehoseBoth runs the typed and the raw entries and requires the same
// response.
func firehoseBoth(t *testing.T, p *firehose.Processor, ev firehose.Event, h firehose.Func) (firehose.Response, error) {
	t.Helper()
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	typed, terr := firehose.Process(context.Background(), p, ev, h)
	fromRaw, rerr := firehose.Handler(p, h)(context.Background(), raw)
	require.Equal(t, terr == nil, rerr == nil, "typed %v, raw %v", terr, rerr)
	require.Equal(t, contracttest.Marshal(t, typed), contracttest.Marshal(t, fromRaw), "typed and raw entries agree")
	return typed, terr
}

func TestFirehoseDocumentedEvent(t *testing.T) {
	data := contracttest.Event(t, "firehose.json")
	want := `{"records":[
		{"recordId":"record1","result":"Ok","data":"` + base64.StdEncoding.EncodeToString([]byte("HELLO WORLD")) + `"},
		{"recordId":"record2","result":"Ok","data":"` + base64.StdEncoding.EncodeToString([]byte("HELLO WORLD")) + `"}]}`
	resp, err := firehose.Handler(core.Must(firehose.New(firehose.Config{})), contracttest.Upper)(context.Background(), data)
	require.NoError(t, err)
	require.JSONEq(t, want, contracttest.Marshal(t, resp))

	// The documented event has string timestamps and an empty subsequence
	// number in kinesisRecordMetadata: aws-lambda-go's type refuses it,
	// batchkit's keeps them as text.
	var theirs events.KinesisFirehoseEvent
	require.Error(t, json.Unmarshal(data, &theirs))
	var ev firehose.Event
	require.NoError(t, json.Unmarshal(data, &ev))
	require.Equal(t, firehose.FlexText("2012-04-23T18:25:43.511Z"), ev.Records[0].KinesisRecordMetadata.ApproximateArrivalTimestamp)
	require.Equal(t, int64(1510772160000), ev.Records[0].ApproximateArrivalTimestamp)
	require.Equal(t, int64(1510772160), ev.Records[0].ArrivalTime().Unix())
	typed, err := firehose.Process(context.Background(), core.Must(firehose.New(firehose.Config{})), ev, contracttest.Upper)
	require.NoError(t, err)
	require.JSONEq(t, want, contracttest.Marshal(t, typed))
}

func TestFirehoseBadRecordAmongGood(t *testing.T) {
	resp, err := firehoseBoth(t, core.Must(firehose.New(firehose.Config{})), contracttest.FirehoseEvent("a", "fail", "drop", "panic", "b"), contracttest.Upper)
	require.NoError(t, err, "record failures are results, not an invocation error")
	require.Equal(t, []string{"Ok", "ProcessingFailed", "Dropped", "ProcessingFailed", "Ok"}, contracttest.Results(resp))
	for i, r := range resp.Records {
		require.Equal(t, fmt.Sprintf("rec-%d", i), r.RecordID, "every record once, in input order")
	}
	require.Equal(t, "A", string(resp.Records[0].Data))
	require.Empty(t, resp.Records[1].Data)
	require.EqualError(t, resp.Records[1].Err, "cannot transform")
	require.ErrorIs(t, resp.Records[3].Err, core.ErrPanic)
	require.JSONEq(t, `{"recordId":"rec-2","result":"Dropped","data":""}`, contracttest.Marshal(t, resp.Records[2]))
}

func TestFirehoseAllFailedIsStillAResponse(t *testing.T) {
	resp, err := firehoseBoth(t, core.Must(firehose.New(firehose.Config{})), contracttest.FirehoseEvent("fail", "fail"), contracttest.Upper)
	require.NoError(t, err)
	require.Equal(t, []string{"ProcessingFailed", "ProcessingFailed"}, contracttest.Results(resp))
}

func TestFirehoseRawUndecodableRecordFailsAlone(t *testing.T) {
	event := `{"invocationId":"i","deliveryStreamArn":"arn","region":"us-east-1","records":[
		{"recordId":"r1","approximateArrivalTimestamp":1,"data":"YQ=="},
		{"recordId":"r2","approximateArrivalTimestamp":1,"data":"not base64!"},
		{"recordId":"r3","approximateArrivalTimestamp":1,"data":"Yg=="}]}`
	resp, err := firehose.Handler(core.Must(firehose.New(firehose.Config{})), contracttest.Upper)(context.Background(), []byte(event))
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "ProcessingFailed", "Ok"}, contracttest.Results(resp))
	require.ErrorIs(t, resp.Records[1].Err, core.ErrDecode)
	require.Equal(t, "r2", resp.Records[1].RecordID)

	_, err = firehose.Handler(core.Must(firehose.New(firehose.Config{})), contracttest.Upper)(context.Background(), []byte(`{"invocationId":"i"}`))
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	_, err = firehose.Handler(core.Must(firehose.New(firehose.Config{})), contracttest.Upper)(context.Background(), []byte(`{"records":[{"data":"YQ=="}]}`))
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure, "a record without recordId cannot be echoed")
}

func TestFirehoseMSKSource(t *testing.T) {
	event := `{"invocationId":"i","deliveryStreamArn":"arn","region":"us-east-1","records":[
		{"recordId":"r1","approximateArrivalTimestamp":1,"kafkaRecordValue":"` + base64.StdEncoding.EncodeToString([]byte("kafka")) + `"}]}`
	resp, err := firehose.Handler(core.Must(firehose.New(firehose.Config{})), contracttest.Upper)(context.Background(), []byte(event))
	require.NoError(t, err)
	require.JSONEq(t, `{"records":[{"recordId":"r1","result":"Ok","kafkaRecordValue":"`+base64.StdEncoding.EncodeToString([]byte("KAFKA"))+`"}]}`, contracttest.Marshal(t, resp))

	var ev firehose.Event
	require.NoError(t, json.Unmarshal([]byte(event), &ev))
	typed, err := firehose.Process(context.Background(), core.Must(firehose.New(firehose.Config{})), ev, contracttest.Upper)
	require.NoError(t, err)
	require.Equal(t, contracttest.Marshal(t, resp), contracttest.Marshal(t, typed))
}

func TestFirehosePartitionKeysAndResultKinds(t *testing.T) {
	type out struct {
		V string `json:"v"`
	}
	for _, tc := range []struct {
		name string
		h    firehose.Func
		want string
	}{
		{"partition keys", func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
			return firehose.Result{Data: rec.Data, PartitionKeys: map[string]string{"year": "2026", "customer": "a\"b"}}, nil
		}, `{"recordId":"rec-0","result":"Ok","data":"eA==","metadata":{"partitionKeys":{"customer":"a\"b","year":"2026"}}}`},
		{"the payload passed through", func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
			return firehose.Result{Data: rec.Payload()}, nil
		},
			`{"recordId":"rec-0","result":"Ok","data":"eA=="}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := firehoseBoth(t, core.Must(firehose.New(firehose.Config{})), contracttest.FirehoseEvent("x"), tc.h)
			require.NoError(t, err)
			require.JSONEq(t, `{"records":[`+tc.want+`]}`, contracttest.Marshal(t, resp))
		})
	}
}

func TestFirehoseJSONTyped(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	type out struct {
		Greeting string `json:"greeting"`
	}
	h := firehose.JSON(func(_ context.Context, v in, _ *firehose.Record) (out, error) {
		return out{Greeting: "hello " + v.Name}, nil
	})
	resp, err := firehoseBoth(t, core.Must(firehose.New(firehose.Config{})), contracttest.FirehoseEvent(`{"name":"ann"}`, `not json`), h)
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "ProcessingFailed"}, contracttest.Results(resp))
	require.JSONEq(t, `{"greeting":"hello ann"}`, string(resp.Records[0].Data))
	var de *payload.DecodeError
	require.ErrorAs(t, resp.Records[1].Err, &de)
}

// The response stays under the limit: records that do not fit are
// ProcessingFailed (Firehose retries them), the others keep their data.
func TestFirehoseResponseSizeLimit(t *testing.T) {
	big := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Data: bytes.Repeat(rec.Data, 1000)}, nil // 1000 bytes -> 1336 in base64
	}
	p, err := firehose.New(firehose.Config{MaxResponseBytes: 3000})
	require.NoError(t, err)
	resp, err := firehoseBoth(t, p, contracttest.FirehoseEvent("a", "b", "c"), big)
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "Ok", "ProcessingFailed"}, contracttest.Results(resp))
	require.ErrorIs(t, resp.Records[2].Err, firehose.ErrResponseSize)
	out := contracttest.Marshal(t, resp)
	require.LessOrEqual(t, len(out), 3000)

	// Under the real 6 MB limit: ten 1 MB transformed records.
	huge := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Data: bytes.Repeat(rec.Data, 1<<20)}, nil
	}
	ev := contracttest.FirehoseEvent(strings.Split("abcdefghij", "")...)
	resp, err = firehose.Process(context.Background(), core.Must(firehose.New(firehose.Config{})), ev, huge)
	require.NoError(t, err)
	data, err := json.Marshal(resp)
	require.NoError(t, err)
	require.LessOrEqual(t, len(data), 6<<20)
	ok := 0
	for _, r := range resp.Records {
		if r.Result == firehose.Ok {
			ok++
		} else {
			require.Equal(t, firehose.ProcessingFailed, r.Result)
		}
	}
	require.Equal(t, 4, ok, "4 records of 1 MB (1.33 MB in base64) fit in 6 MB, the 6 others are retried")

	// A limit too small for even the minimal response fails the invocation.
	tiny, err := firehose.New(firehose.Config{MaxResponseBytes: 10})
	require.NoError(t, err)
	_, err = firehose.Process(context.Background(), tiny, contracttest.FirehoseEvent("a"), contracttest.Upper)
	require.ErrorIs(t, err, firehose.ErrResponseSize)
}

// The hand-written encoder gives what encoding/json gives (without HTML
// escaping), and its size is exact.
func TestFirehoseResponseEncoding(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x00\x01\n\r\t\x1f", "ünïcode ✓", "bad\xffutf8", "line\u2028sep\u2029", "<html>&"} {
		rec := firehose.ResponseRecord{RecordID: s, Result: firehose.Ok, Data: []byte(s), PartitionKeys: map[string]string{s: s, "k": "v"}}
		got, err := rec.MarshalJSON()
		require.NoError(t, err)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(struct {
			RecordID string `json:"recordId"`
			Result   string `json:"result"`
			Data     []byte `json:"data"`
			Metadata struct {
				PartitionKeys map[string]string `json:"partitionKeys"`
			} `json:"metadata"`
		}{RecordID: s, Result: "Ok", Data: []byte(s), Metadata: struct {
			PartitionKeys map[string]string `json:"partitionKeys"`
		}{rec.PartitionKeys}}))
		require.Equal(t, strings.TrimSuffix(buf.String(), "\n"), string(got), "%q", s)
		require.Equal(t, cap(got), len(got), "the size computed ahead is exact for %q", s)
	}
	empty, err := json.Marshal(firehose.Response{})
	require.NoError(t, err)
	require.Equal(t, `{"records":[]}`, string(empty))
}

func TestFirehoseHandlerAdapter(t *testing.T) {
	fn := firehose.Handler(core.Must(firehose.New(firehose.Config{Options: core.Options{Concurrency: 4}})), contracttest.Upper)
	resp, err := fn(context.Background(), contracttest.Event(t, "firehose.json"))
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "Ok"}, contracttest.Results(resp))
	_, err = firehose.New(firehose.Config{MaxResponseBytes: -1})
	require.ErrorIs(t, err, core.ErrInvalidConfig)
}

// No entry changes the caller's event: the typed entry called twice on the
// same event value gives the same response, and the event is as it was
// (results live in the invocation's state, not in the records).
func TestFirehoseProcessLeavesTheEventUnchanged(t *testing.T) {
	ev := contracttest.FirehoseEvent("a", "fail", "drop", "b")
	before := contracttest.Marshal(t, ev)
	p := core.Must(firehose.New(firehose.Config{}))
	first, err := firehose.Process(context.Background(), p, ev, contracttest.Upper)
	require.NoError(t, err)
	require.Equal(t, before, contracttest.Marshal(t, ev), "the event is unchanged")
	second, err := firehose.Process(context.Background(), p, ev, contracttest.Upper)
	require.NoError(t, err)
	require.Equal(t, contracttest.Marshal(t, first), contracttest.Marshal(t, second))
	require.Equal(t, before, contracttest.Marshal(t, ev))
	// Another handler on the same event sees nothing of the earlier runs.
	pass, err := firehose.Process(context.Background(), p, ev, func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Data: rec.Payload()}, nil
	})
	require.NoError(t, err)
	require.Equal(t, "a", string(pass.Records[0].Data), "pass-through, not the earlier run's upper case")
}

// A FlexText followed by a NUL byte is not a string or a number: refused,
// as json.Unmarshal refuses it (the scanner's Peek reads NUL as the end).
func TestFlexTextRefusesTrailingNUL(t *testing.T) {
	var f firehose.FlexText
	require.Error(t, f.UnmarshalJSON([]byte("\"12\"\x00")))
	require.Error(t, f.UnmarshalJSON([]byte("12\x00")))
	require.NoError(t, f.UnmarshalJSON([]byte(" 12 ")))
	require.Equal(t, firehose.FlexText("12"), f)
}
