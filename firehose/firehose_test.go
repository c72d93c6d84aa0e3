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
	require.Equal(t, "2012-04-23T18:25:43.511Z", ev.Records[0].KinesisRecordMetadata.ApproximateArrivalTimestamp)
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
		if r.Result == events.KinesisFirehoseTransformedStateOk {
			ok++
		} else {
			require.Equal(t, events.KinesisFirehoseTransformedStateProcessingFailed, r.Result)
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
		rec := firehose.ResponseRecord{RecordID: s, Result: events.KinesisFirehoseTransformedStateOk, Data: []byte(s), PartitionKeys: map[string]string{s: s, "k": "v"}}
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

// KinesisMetadata followed by a NUL byte is refused, as json.Unmarshal
// refuses it (the scanner's Peek reads NUL as the end).
func TestKinesisMetadataRefusesTrailingNUL(t *testing.T) {
	var m firehose.KinesisMetadata
	require.Error(t, m.UnmarshalJSON([]byte(`{"subsequenceNumber":"12"}`+"\x00")))
	require.Error(t, m.UnmarshalJSON([]byte(`{"subsequenceNumber":12}`+"\x00")))
	require.NoError(t, m.UnmarshalJSON([]byte(` {"subsequenceNumber":12} `)))
	require.Equal(t, "12", m.SubsequenceNumber)
}

// The timestamp and the subsequence number are kept as text whether AWS
// sends a string or a number, through encoding/json as through the
// Handler's decoder; the other fields decode as encoding/json decodes them
// (keys matched ignoring case), null leaves a field, and a wrong type is
// refused. They marshal back as strings.
func TestKinesisMetadataStringsAndNumbers(t *testing.T) {
	for _, tc := range []struct{ in, ts, sub string }{
		{`{"approximateArrivalTimestamp":1510772160000,"subsequenceNumber":3}`, "1510772160000", "3"},
		{`{"approximateArrivalTimestamp":"2012-04-23T18:25:43.511Z","subsequenceNumber":""}`, "2012-04-23T18:25:43.511Z", ""},
		{`{"approximateArrivalTimestamp":1.5e3,"subsequenceNumber":"7"}`, "1.5e3", "7"},
		{`{"ApproximateArrivalTimestamp":"t","SUBSEQUENCENUMBER":9}`, "t", "9"},
	} {
		var rec firehose.Record
		require.NoError(t, json.Unmarshal([]byte(`{"recordId":"r","data":"","kinesisRecordMetadata":`+tc.in+`}`), &rec), tc.in)
		require.Equal(t, tc.ts, rec.KinesisRecordMetadata.ApproximateArrivalTimestamp, tc.in)
		require.Equal(t, tc.sub, rec.KinesisRecordMetadata.SubsequenceNumber, tc.in)
	}
	m := firehose.KinesisMetadata{ShardID: "s", SubsequenceNumber: "5"}
	require.NoError(t, json.Unmarshal([]byte(`{"shardId":null,"partitionKey":"pk","subsequenceNumber":null}`), &m))
	require.Equal(t, firehose.KinesisMetadata{ShardID: "s", PartitionKey: "pk", SubsequenceNumber: "5"}, m)
	for _, bad := range []string{`{"subsequenceNumber":true}`, `{"approximateArrivalTimestamp":{}}`, `{"shardId":1}`, `[]`} {
		require.Error(t, json.Unmarshal([]byte(bad), new(firehose.KinesisMetadata)), bad)
	}
	out, err := json.Marshal(firehose.KinesisMetadata{ApproximateArrivalTimestamp: "1510772160000", SubsequenceNumber: "3"})
	require.NoError(t, err)
	require.JSONEq(t, `{"shardId":"","partitionKey":"","approximateArrivalTimestamp":"1510772160000","sequenceNumber":"","subsequenceNumber":"3"}`, string(out))
}
