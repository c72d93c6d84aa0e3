package firehose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
)

// A Firehose transformation: every record comes back once, Ok with its new
// data, Dropped, or ProcessingFailed (Firehose retries it). Partition keys
// feed dynamic partitioning.
func ExampleJSON() {
	processor := core.Must(firehose.New(firehose.Config{})) // once, at package level

	type logLine struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	transform := firehose.JSON(func(_ context.Context, in logLine, _ *firehose.Record) (firehose.Result, error) {
		if in.Level == "debug" {
			return firehose.Result{Drop: true}, nil
		}
		line := in.Level + ": " + in.Message + "\n"
		return firehose.Result{Data: []byte(line), PartitionKeys: map[string]string{"level": in.Level}}, nil
	})

	event := firehose.Event{InvocationID: "inv", Region: "us-east-1", Records: []firehose.Record{
		{RecordID: "r1", Data: []byte(`{"level":"error","message":"disk full"}`)},
		{RecordID: "r2", Data: []byte(`{"level":"debug","message":"tick"}`)},
		{RecordID: "r3", Data: []byte(`not json`)},
	}}
	resp, err := firehose.Process(context.Background(), processor, event, transform)
	if err != nil {
		panic(err)
	}
	for _, r := range resp.Records {
		fmt.Printf("%s %s %q %v\n", r.RecordID, r.Result, r.Data, r.PartitionKeys)
	}
	// Output:
	// r1 Ok "error: disk full\n" map[level:error]
	// r2 Dropped "" map[]
	// r3 ProcessingFailed "" map[]
}

// The Lambda handler of a Firehose transformation, for lambda.Start.
func ExampleHandler() {
	handler := firehose.Handler(core.Must(firehose.New(firehose.Config{})),
		func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
			return firehose.Result{Data: bytes.ToUpper(rec.Payload())}, nil
		})
	// lambda.Start(handler)

	event := `{"invocationId":"inv","deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/s","region":"us-east-1",
		"records":[{"recordId":"r1","approximateArrivalTimestamp":1510772160000,"data":"aGVsbG8="}]}`
	resp, err := handler(context.Background(), json.RawMessage(event))
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	fmt.Println(string(out))
	// Output:
	// {"records":[{"recordId":"r1","result":"Ok","data":"SEVMTE8="}]}
}

// The Firehose response stays under Lambda's 6 MB (here a smaller limit, to
// show it): records whose data no longer fits are ProcessingFailed, and
// Firehose retries them, instead of the whole response being refused.
func ExampleConfig() {
	processor, err := firehose.New(firehose.Config{MaxResponseBytes: 300})
	if err != nil {
		panic(err)
	}
	pad := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Data: bytes.Repeat(rec.Data, 40)}, nil // 40 bytes: 56 in base64
	}
	event := firehose.Event{Records: []firehose.Record{
		{RecordID: "r1", Data: []byte("a")}, {RecordID: "r2", Data: []byte("b")}, {RecordID: "r3", Data: []byte("c")},
	}}
	resp, err := firehose.Process(context.Background(), processor, event, pad)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(resp)
	for _, r := range resp.Records {
		fmt.Println(r.RecordID, r.Result)
	}
	fmt.Println(len(out) <= 300)
	// Output:
	// r1 Ok
	// r2 Ok
	// r3 ProcessingFailed
	// true
}

// The typed handler on an event value: the results are kept per
// invocation, so the event is left unchanged.
func ExampleProcess() {
	processor := core.Must(firehose.New(firehose.Config{}))
	upper := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
		if len(rec.Data) == 0 {
			return firehose.Result{Drop: true}, nil
		}
		return firehose.Result{Data: bytes.ToUpper(rec.Data)}, nil
	}
	event := firehose.Event{Records: []firehose.Record{{RecordID: "r1", Data: []byte("hi")}, {RecordID: "r2"}}}
	resp, err := firehose.Process(context.Background(), processor, event, upper)
	if err != nil {
		panic(err)
	}
	for _, r := range resp.Records {
		fmt.Printf("%s %s %q\n", r.RecordID, r.Result, r.Data)
	}
	fmt.Println(string(event.Records[0].Data))
	// Output:
	// r1 Ok "HI"
	// r2 Dropped ""
	// hi
}

// A Drop carries nothing: a Result with Drop and Data fails its record
// (Firehose retries it or backs it up) instead of losing the data silently.
func ExampleResult_drop() {
	processor := core.Must(firehose.New(firehose.Config{}))
	confused := func(_ context.Context, rec *firehose.Record) (firehose.Result, error) {
		return firehose.Result{Drop: true, Data: rec.Data}, nil
	}
	event := firehose.Event{Records: []firehose.Record{{RecordID: "r1", Data: []byte("x")}}}
	resp, _ := firehose.Process(context.Background(), processor, event, confused)
	fmt.Println(resp.Records[0].Result)
	fmt.Println(resp.Records[0].Err)
	// Output:
	// ProcessingFailed
	// batchkit: the handler dropped the record but returned data or partition keys with it
}
