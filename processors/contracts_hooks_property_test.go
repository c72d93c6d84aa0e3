package processors_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/firehose"
	"github.com/batchkit/batchkit/s3batch"
)

// One lifecycle (issue 24 §3), as a property: for random S3 Batch and
// Firehose events (successes, errors, permanent errors, panics, errors
// whose methods panic, outputs whose MarshalJSON panics, drops, records
// that do not decode, missing identifiers, small response limits) and
// random concurrency, turning hooks on changes neither the response nor
// the error.
func TestContractsHooksDoNotChangeResults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, ok := lookupSeed(); ok {
		seed = s
	}
	r := rand.New(rand.NewPCG(seed, 24))
	for k := 0; k < 300; k++ {
		conc := 1 + r.IntN(4)
		n := r.IntN(7)
		kinds := make([]int, n)
		for i := range kinds {
			kinds[i] = r.IntN(8)
		}
		noID := r.IntN(10) == 0
		limit := 0
		if r.IntN(4) == 0 {
			limit = 20 + r.IntN(400)
		}
		desc := fmt.Sprintf("seed %d (PROPERTY_SEED=%d) case %d: conc=%d kinds=%v noID=%v limit=%d", seed, seed, k, conc, kinds, noID, limit)
		run := func(hooks bool) (string, string, string, string) {
			var opts core.Options
			opts.Concurrency = conc
			if hooks {
				opts.Hooks = []core.Hook{&endHook{}}
			}
			s3, s3err := s3batch.Handler(core.Must(s3batch.New(s3batch.Config{Options: opts})), s3Kinds)(context.Background(), s3Event(kinds, noID))
			fh, fherr := firehose.Handler(core.Must(firehose.New(firehose.Config{Options: opts, MaxResponseBytes: limit})), firehoseKinds)(context.Background(), firehoseEvent(kinds, noID))
			return marshalOrEmpty(s3), errText(s3err), marshalOrEmpty(fh) + firehoseErrs(fh), errText(fherr)
		}
		a1, a2, a3, a4 := run(false)
		b1, b2, b3, b4 := run(true)
		require.Equal(t, a1, b1, "S3 response: %s", desc)
		require.Equal(t, a2, b2, "S3 error: %s", desc)
		require.Equal(t, a3, b3, "Firehose response: %s", desc)
		require.Equal(t, a4, b4, "Firehose error: %s", desc)
	}
}

func marshalOrEmpty(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return "marshal: " + err.Error()
	}
	return string(data)
}

// errText is err's message without a panic's stack.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}

func firehoseErrs(resp firehose.Response) string {
	var b strings.Builder
	for _, r := range resp.Records {
		b.WriteString("|" + errText(r.Err))
	}
	return b.String()
}

// The kinds: 0 ok, 1 error, 2 permanent error (S3) / drop (Firehose),
// 3 panic, 4 typed-nil error (S3) / output whose MarshalJSON panics
// (Firehose), 5 Is panics (S3) / drop with data (Firehose), 6 does not
// decode, 7 ok.
func s3Kinds(_ context.Context, task *s3batch.Task) (string, error) {
	switch task.Key {
	case "k1":
		return "", errors.New("temporary")
	case "k2":
		return "", s3batch.Permanent(errors.New("permanent"))
	case "k3":
		panic("boom")
	case "k4":
		var e *nilErr
		return "", e
	case "k5":
		return "", panicIs{}
	}
	return "done " + task.Key, nil
}

func s3Event(kinds []int, noID bool) []byte {
	var b strings.Builder
	b.WriteString(`{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"},"tasks":[`)
	for i, k := range kinds {
		if i > 0 {
			b.WriteByte(',')
		}
		id := `"taskId":"t` + strconv.Itoa(i) + `",`
		if noID && i == len(kinds)-1 {
			id = ""
		}
		key := strconv.Quote("k" + strconv.Itoa(k))
		if k == 6 {
			key = "7"
		}
		b.WriteString(`{` + id + `"s3Key":` + key + `,"s3Bucket":"b"}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

var firehoseKinds = firehose.JSON(func(_ context.Context, in string, rec *firehose.Record) (any, error) {
	switch in {
	case "k1":
		return nil, errors.New("temporary")
	case "k2":
		return firehose.Result{Drop: true}, nil
	case "k3":
		panic("boom")
	case "k4":
		return panicOut{}, nil
	case "k5":
		return firehose.Result{Drop: true, Data: []byte(in)}, nil
	}
	return firehose.Result{Data: []byte("out " + in + strings.Repeat(".", len(rec.RecordID)*7))}, nil
})

func firehoseEvent(kinds []int, noID bool) []byte {
	var b strings.Builder
	b.WriteString(`{"invocationId":"i","deliveryStreamArn":"arn","region":"us-east-1","records":[`)
	for i, k := range kinds {
		if i > 0 {
			b.WriteByte(',')
		}
		id := `"recordId":"r` + strconv.Itoa(i) + `",`
		if noID && i == len(kinds)-1 {
			id = ""
		}
		data := strconv.Quote(base64.StdEncoding.EncodeToString([]byte(strconv.Quote("k" + strconv.Itoa(k)))))
		if k == 6 {
			data = `"%%%"`
		}
		b.WriteString(`{` + id + `"approximateArrivalTimestamp":1,"data":` + data + `}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}
