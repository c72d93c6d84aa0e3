package processors_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// upper transforms a record's payload to upper case; "fail" fails it,
// "drop" drops it, "panic" panics.
func upper(_ context.Context, rec *processors.FirehoseRecord) (processors.FirehoseResult, error) {
	switch string(rec.Payload()) {
	case "fail":
		return processors.FirehoseResult{}, errors.New("cannot transform")
	case "drop":
		return processors.FirehoseDrop(), nil
	case "panic":
		panic("transform blew up")
	}
	return processors.FirehoseData(bytes.ToUpper(rec.Payload())), nil
}

// firehoseEvent builds an event with one record per payload.
func firehoseEvent(payloads ...string) processors.FirehoseEvent {
	ev := processors.FirehoseEvent{InvocationID: "inv", DeliveryStreamArn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/s", Region: "us-east-1"}
	for i, p := range payloads {
		ev.Records = append(ev.Records, processors.FirehoseRecord{RecordID: fmt.Sprintf("rec-%d", i), ApproximateArrivalTimestamp: 1510772160000, Data: []byte(p)})
	}
	return ev
}

// firehoseBoth runs the typed and the raw entries and requires the same
// response.
func firehoseBoth(t *testing.T, p *processors.FirehoseProcessor, ev processors.FirehoseEvent, h core.Handler[processors.FirehoseRecord]) (processors.FirehoseResponse, error) {
	t.Helper()
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	typed, terr := processors.ProcessFirehose(context.Background(), p, ev, h)
	fromRaw, rerr := processors.ProcessFirehoseRaw(context.Background(), p, raw, h)
	require.Equal(t, terr == nil, rerr == nil, "typed %v, raw %v", terr, rerr)
	require.Equal(t, marshal(t, typed), marshal(t, fromRaw), "typed and raw entries agree")
	return typed, terr
}

func results(resp processors.FirehoseResponse) []string {
	out := make([]string, len(resp.Records))
	for i, r := range resp.Records {
		out[i] = r.Result
	}
	return out
}

func TestFirehoseDocumentedEvent(t *testing.T) {
	data := readContractEvent(t, "firehose.json")
	want := `{"records":[
		{"recordId":"record1","result":"Ok","data":"` + base64.StdEncoding.EncodeToString([]byte("HELLO WORLD")) + `"},
		{"recordId":"record2","result":"Ok","data":"` + base64.StdEncoding.EncodeToString([]byte("HELLO WORLD")) + `"}]}`
	resp, err := processors.ProcessFirehoseRaw(context.Background(), processors.NewFirehose(), data, processors.FirehoseFunc(upper))
	require.NoError(t, err)
	require.JSONEq(t, want, marshal(t, resp))

	// The documented event has string timestamps and an empty subsequence
	// number in kinesisRecordMetadata: aws-lambda-go's type refuses it,
	// batchkit's keeps them as text.
	var theirs events.KinesisFirehoseEvent
	require.Error(t, json.Unmarshal(data, &theirs))
	var ev processors.FirehoseEvent
	require.NoError(t, json.Unmarshal(data, &ev))
	require.Equal(t, processors.FlexText("2012-04-23T18:25:43.511Z"), ev.Records[0].KinesisRecordMetadata.ApproximateArrivalTimestamp)
	require.Equal(t, int64(1510772160000), ev.Records[0].ApproximateArrivalTimestamp)
	require.Equal(t, int64(1510772160), ev.Records[0].ArrivalTime().Unix())
	typed, err := processors.ProcessFirehose(context.Background(), processors.NewFirehose(), ev, processors.FirehoseFunc(upper))
	require.NoError(t, err)
	require.JSONEq(t, want, marshal(t, typed))
}

func TestFirehoseBadRecordAmongGood(t *testing.T) {
	resp, err := firehoseBoth(t, processors.NewFirehose(), firehoseEvent("a", "fail", "drop", "panic", "b"), processors.FirehoseFunc(upper))
	require.NoError(t, err, "record failures are results, not an invocation error")
	require.Equal(t, []string{"Ok", "ProcessingFailed", "Dropped", "ProcessingFailed", "Ok"}, results(resp))
	for i, r := range resp.Records {
		require.Equal(t, fmt.Sprintf("rec-%d", i), r.RecordID, "every record once, in input order")
	}
	require.Equal(t, "A", string(resp.Records[0].Data))
	require.Empty(t, resp.Records[1].Data)
	require.EqualError(t, resp.Records[1].Err, "cannot transform")
	require.ErrorIs(t, resp.Records[3].Err, core.ErrPanic)
	require.JSONEq(t, `{"recordId":"rec-2","result":"Dropped","data":""}`, marshal(t, resp.Records[2]))
}

func TestFirehoseAllFailedIsStillAResponse(t *testing.T) {
	resp, err := firehoseBoth(t, processors.NewFirehose(), firehoseEvent("fail", "fail"), processors.FirehoseFunc(upper))
	require.NoError(t, err)
	require.Equal(t, []string{"ProcessingFailed", "ProcessingFailed"}, results(resp))
}

func TestFirehoseRawUndecodableRecordFailsAlone(t *testing.T) {
	event := `{"invocationId":"i","deliveryStreamArn":"arn","region":"us-east-1","records":[
		{"recordId":"r1","approximateArrivalTimestamp":1,"data":"YQ=="},
		{"recordId":"r2","approximateArrivalTimestamp":1,"data":"not base64!"},
		{"recordId":"r3","approximateArrivalTimestamp":1,"data":"Yg=="}]}`
	resp, err := processors.ProcessFirehoseRaw(context.Background(), processors.NewFirehose(), []byte(event), processors.FirehoseFunc(upper))
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "ProcessingFailed", "Ok"}, results(resp))
	require.ErrorIs(t, resp.Records[1].Err, core.ErrRecordDecode)
	require.Equal(t, "r2", resp.Records[1].RecordID)

	_, err = processors.ProcessFirehoseRaw(context.Background(), processors.NewFirehose(), []byte(`{"invocationId":"i"}`), processors.FirehoseFunc(upper))
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	_, err = processors.ProcessFirehoseRaw(context.Background(), processors.NewFirehose(), []byte(`{"records":[{"data":"YQ=="}]}`), processors.FirehoseFunc(upper))
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure, "a record without recordId cannot be echoed")
}

func TestFirehoseMSKSource(t *testing.T) {
	event := `{"invocationId":"i","deliveryStreamArn":"arn","region":"us-east-1","records":[
		{"recordId":"r1","approximateArrivalTimestamp":1,"kafkaRecordValue":"` + base64.StdEncoding.EncodeToString([]byte("kafka")) + `"}]}`
	resp, err := processors.ProcessFirehoseRaw(context.Background(), processors.NewFirehose(), []byte(event), processors.FirehoseFunc(upper))
	require.NoError(t, err)
	require.JSONEq(t, `{"records":[{"recordId":"r1","result":"Ok","kafkaRecordValue":"`+base64.StdEncoding.EncodeToString([]byte("KAFKA"))+`"}]}`, marshal(t, resp))

	var ev processors.FirehoseEvent
	require.NoError(t, json.Unmarshal([]byte(event), &ev))
	typed, err := processors.ProcessFirehose(context.Background(), processors.NewFirehose(), ev, processors.FirehoseFunc(upper))
	require.NoError(t, err)
	require.Equal(t, marshal(t, resp), marshal(t, typed))
}

func TestFirehosePartitionKeysAndResultKinds(t *testing.T) {
	type out struct {
		V string `json:"v"`
	}
	for _, tc := range []struct {
		name string
		h    core.Handler[processors.FirehoseRecord]
		want string
	}{
		{"partition keys", processors.FirehoseFunc(func(_ context.Context, rec *processors.FirehoseRecord) (processors.FirehoseResult, error) {
			return processors.FirehoseData(rec.Data).WithPartitionKeys(map[string]string{"year": "2026", "customer": "a\"b"}), nil
		}), `{"recordId":"rec-0","result":"Ok","data":"eA==","metadata":{"partitionKeys":{"customer":"a\"b","year":"2026"}}}`},
		{"nil result passes the data through", core.Func(func(context.Context, *processors.FirehoseRecord) error { return nil }),
			`{"recordId":"rec-0","result":"Ok","data":"eA=="}`},
		{"string result", core.WithResult(func(context.Context, *processors.FirehoseRecord) (string, error) { return "s", nil }),
			`{"recordId":"rec-0","result":"Ok","data":"cw=="}`},
		{"value result as JSON", core.WithResult(func(context.Context, *processors.FirehoseRecord) (out, error) { return out{V: "x"}, nil }),
			`{"recordId":"rec-0","result":"Ok","data":"` + base64.StdEncoding.EncodeToString([]byte(`{"v":"x"}`)) + `"}`},
		{"unencodable result fails", core.WithResult(func(context.Context, *processors.FirehoseRecord) (any, error) { return func() {}, nil }),
			`{"recordId":"rec-0","result":"ProcessingFailed","data":""}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := firehoseBoth(t, processors.NewFirehose(), firehoseEvent("x"), tc.h)
			require.NoError(t, err)
			require.JSONEq(t, `{"records":[`+tc.want+`]}`, marshal(t, resp))
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
	h := processors.FirehoseJSON(func(_ context.Context, v in, _ *processors.FirehoseRecord) (out, error) {
		return out{Greeting: "hello " + v.Name}, nil
	})
	resp, err := firehoseBoth(t, processors.NewFirehose(), firehoseEvent(`{"name":"ann"}`, `not json`), h)
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "ProcessingFailed"}, results(resp))
	require.JSONEq(t, `{"greeting":"hello ann"}`, string(resp.Records[0].Data))
	var de *processors.DecodeError
	require.ErrorAs(t, resp.Records[1].Err, &de)
}

// The response stays under the limit: records that do not fit are
// ProcessingFailed (Firehose retries them), the others keep their data.
func TestFirehoseResponseSizeLimit(t *testing.T) {
	big := func(_ context.Context, rec *processors.FirehoseRecord) (processors.FirehoseResult, error) {
		return processors.FirehoseData(bytes.Repeat(rec.Data, 1000)), nil // 1000 bytes -> 1336 in base64
	}
	p, err := processors.FirehoseFrom(processors.FirehoseConfig{MaxResponseBytes: 3000})
	require.NoError(t, err)
	resp, err := firehoseBoth(t, p, firehoseEvent("a", "b", "c"), processors.FirehoseFunc(big))
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "Ok", "ProcessingFailed"}, results(resp))
	require.ErrorIs(t, resp.Records[2].Err, processors.ErrFirehoseResponseSize)
	out := marshal(t, resp)
	require.LessOrEqual(t, len(out), 3000)

	// Under the real 6 MB limit: ten 1 MB transformed records.
	huge := func(_ context.Context, rec *processors.FirehoseRecord) (processors.FirehoseResult, error) {
		return processors.FirehoseData(bytes.Repeat(rec.Data, 1<<20)), nil
	}
	ev := firehoseEvent(strings.Split("abcdefghij", "")...)
	resp, err = processors.ProcessFirehose(context.Background(), processors.NewFirehose(), ev, processors.FirehoseFunc(huge))
	require.NoError(t, err)
	data, err := json.Marshal(resp)
	require.NoError(t, err)
	require.LessOrEqual(t, len(data), processors.DefaultFirehoseMaxResponseBytes)
	ok := 0
	for _, r := range resp.Records {
		if r.Result == processors.FirehoseOk {
			ok++
		} else {
			require.Equal(t, processors.FirehoseProcessingFailed, r.Result)
		}
	}
	require.Equal(t, 4, ok, "4 records of 1 MB (1.33 MB in base64) fit in 6 MB, the 6 others are retried")

	// A limit too small for even the minimal response fails the invocation.
	tiny, err := processors.FirehoseFrom(processors.FirehoseConfig{MaxResponseBytes: 10})
	require.NoError(t, err)
	_, err = processors.ProcessFirehose(context.Background(), tiny, firehoseEvent("a"), processors.FirehoseFunc(upper))
	require.ErrorIs(t, err, processors.ErrFirehoseResponseSize)
}

// The hand-written encoder gives what encoding/json gives (without HTML
// escaping), and its size is exact.
func TestFirehoseResponseEncoding(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x00\x01\n\r\t\x1f", "ünïcode ✓", "bad\xffutf8", "line\u2028sep\u2029", "<html>&"} {
		rec := processors.FirehoseResponseRecord{RecordID: s, Result: processors.FirehoseOk, Data: []byte(s), PartitionKeys: map[string]string{s: s, "k": "v"}}
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
	empty, err := json.Marshal(processors.FirehoseResponse{})
	require.NoError(t, err)
	require.Equal(t, `{"records":[]}`, string(empty))
}

func TestFirehoseHandlerAdapter(t *testing.T) {
	fn := processors.FirehoseHandler(processors.NewFirehose(processors.WithConcurrency(4)), processors.FirehoseFunc(upper))
	resp, err := fn(context.Background(), readContractEvent(t, "firehose.json"))
	require.NoError(t, err)
	require.Equal(t, []string{"Ok", "Ok"}, results(resp))
	_, err = processors.FirehoseFrom(processors.FirehoseConfig{MaxResponseBytes: -1})
	require.ErrorIs(t, err, processors.ErrInvalidConfig)
}

// Running the same records again uses this run's handler only: nothing an
// earlier run stored in the records leaks into the response.
func TestFirehoseRunTwiceOnTheSameRecords(t *testing.T) {
	ev := firehoseEvent("a")
	_, err := processors.ProcessFirehose(context.Background(), processors.NewFirehose(), ev, processors.FirehoseFunc(upper))
	require.NoError(t, err)
	resp, err := processors.ProcessFirehose(context.Background(), processors.NewFirehose(), ev,
		core.Func(func(context.Context, *processors.FirehoseRecord) error { return nil }))
	require.NoError(t, err)
	require.Equal(t, "a", string(resp.Records[0].Data), "pass-through, not the earlier run's upper case")
}
