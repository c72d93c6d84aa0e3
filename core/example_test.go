package core_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/batchkit/batchkit/core"
)

// A processor for a custom record type, from a Source description.
func ExampleNewBase() {
	type job struct{ ID, Queue string }
	p := core.NewBase(core.Source[job]{
		Name:     "jobs",
		Identify: func(j *job) core.Identifier { return core.StringID(j.ID) },
	}, core.Options{})
	jobs := []job{{"j1", "q"}, {"j2", "q"}}
	resp, err := core.Process(context.Background(), p, jobs, func(_ context.Context, j *job) error {
		if j.ID == "j2" {
			return fmt.Errorf("job %s failed", j.ID)
		}
		return nil
	})
	out, _ := json.Marshal(resp)
	fmt.Println(string(out), err)
	// Output: {"batchItemFailures":[{"itemIdentifier":"j2"}]} <nil>
}

// Kafka identifiers marshal as Lambda's object form.
func ExampleKafkaID() {
	out, _ := json.Marshal(core.Response{BatchItemFailures: []core.BatchItemFailure{{ItemIdentifier: core.KafkaID("orders-0", 15)}}})
	fmt.Println(string(out))
	// Output: {"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":15}}]}
}
