package kpl_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/envelope"
	"github.com/batchkit/batchkit/kpl"
	"github.com/batchkit/batchkit/processors"
)

// userRecord is what a producer hands the aggregation library.
type userRecord struct {
	PartitionKey    string `json:"partitionKey"`
	ExplicitHashKey string `json:"explicitHashKey,omitempty"`
	Data            []byte `json:"data"`
}

// aggregate returns the Kinesis record data that the npm package
// aws-kinesis-agg (a real KPL-format aggregator) makes of each group of
// user records. scripts/test.sh installs it (scripts/lib/server-kinesis-agg.sh)
// and exports BATCHKIT_KINESIS_AGG; without it the test skips, except under
// CI=true, where it fails.
func aggregate(t *testing.T, groups ...[]userRecord) [][]byte {
	t.Helper()
	modules := os.Getenv("BATCHKIT_KINESIS_AGG")
	node, err := exec.LookPath("node")
	if modules == "" || err != nil {
		msg := "aws-kinesis-agg or node is missing (BATCHKIT_KINESIS_AGG unset or no node); run `bash scripts/test.sh`, which installs it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	in, err := json.Marshal(groups)
	require.NoError(t, err)
	cmd := exec.Command(node, filepath.Join("testdata", "aggregate.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "aggregate.js: %s", stderr.String())
	lines := strings.Fields(string(out))
	require.Len(t, lines, len(groups))
	datas := make([][]byte, len(lines))
	for i, l := range lines {
		datas[i], err = base64.StdEncoding.DecodeString(l)
		require.NoError(t, err)
	}
	return datas
}

var (
	orders = []userRecord{
		{PartitionKey: "customer-1", Data: []byte(`{"order":1}`)},
		{PartitionKey: "customer-2", ExplicitHashKey: "170141183460469231731687303715884105728", Data: []byte(`{"order":2}`)},
		{PartitionKey: "customer-1", Data: []byte(`{"order":3}`)},
	}
	// binary data, one user record starting with the magic bytes itself.
	binary = []userRecord{
		{PartitionKey: "b", Data: []byte{0xF3, 0x89, 0x9A, 0xC2, 0, 1, 2}},
		{PartitionKey: "b", ExplicitHashKey: "1", Data: bytes.Repeat([]byte{0xff, 0}, 300)},
	}
)

// Deaggregate returns exactly the user records the library aggregated, with
// their partition keys, explicit hash keys and sub-sequence numbers.
func TestDeaggregateRealAggregates(t *testing.T) {
	datas := aggregate(t, orders, binary)
	for g, group := range [][]userRecord{orders, binary} {
		recs, err := kpl.Deaggregate(datas[g])
		require.NoError(t, err)
		require.Len(t, recs, len(group))
		for i, want := range group {
			require.Equal(t, kpl.Record{PartitionKey: want.PartitionKey, ExplicitHashKey: want.ExplicitHashKey, SubSequenceNumber: i, Aggregated: true, Data: want.Data}, recs[i], "group %d record %d", g, i)
		}
	}
}

// Data without the magic bytes is one record, unchanged.
func TestDeaggregateNotAggregated(t *testing.T) {
	data := []byte(`{"order":9}`)
	recs, err := kpl.Deaggregate(data)
	require.NoError(t, err)
	require.Equal(t, []kpl.Record{{Data: data}}, recs)
}

func kinesisRecord(seq, pk string, data []byte) events.KinesisEventRecord {
	return events.KinesisEventRecord{EventSource: "aws:kinesis", EventID: "shardId-000000000000:" + seq,
		Kinesis: events.KinesisRecord{SequenceNumber: seq, PartitionKey: pk, Data: data}}
}

type order struct {
	Order int `json:"order"`
}

type seen struct {
	parent string
	rec    kpl.Record
	order  int
}

// Through envelope.Wrap and the Kinesis processor, the handler sees every
// user record of an aggregate, a plain record unchanged, and a failed user
// record fails its parent, reported by the parent's sequence number; the
// user records after it in that aggregate are not handled.
func TestLayerWithKinesisProcessor(t *testing.T) {
	datas := aggregate(t, orders, orders)
	records := []events.KinesisEventRecord{
		kinesisRecord("100", "customer-1", datas[0]),
		kinesisRecord("200", "plain", []byte(`{"order":4}`)),
		kinesisRecord("300", "customer-1", datas[1]),
	}
	var mu sync.Mutex
	var got []seen
	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{kpl.Layer()}}, func(_ context.Context, o order, m *envelope.Meta[events.KinesisEventRecord]) error {
		rec, ok := m.Layers[0].Meta.(*kpl.Record)
		require.True(t, ok)
		mu.Lock()
		got = append(got, seen{parent: m.Record.Kinesis.SequenceNumber, rec: *rec, order: o.Order})
		mu.Unlock()
		if m.Record.Kinesis.SequenceNumber == "300" && rec.SubSequenceNumber == 1 {
			return errors.New("order 2 of aggregate 300 failed")
		}
		return nil
	})
	p := core.Must(processors.NewKinesis(processors.Config{}))
	b := core.NewBatch(records, h)
	resp, err := core.Run(context.Background(), p, b)
	require.NoError(t, err)
	require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID("300")}}, resp.BatchItemFailures)

	var pe *envelope.UnwrapError
	require.ErrorAs(t, b.Outcomes[2].Err, &pe)
	require.ErrorIs(t, b.Outcomes[2].Err, envelope.ErrPart)
	require.NotErrorIs(t, pe, envelope.ErrUnwrap, "a payload's handler error is not an unwrap failure")
	require.Equal(t, 1, pe.Index)
	require.Equal(t, 3, pe.Count)

	ehk := orders[1].ExplicitHashKey
	want := []seen{
		{"100", kpl.Record{PartitionKey: "customer-1", SubSequenceNumber: 0, Aggregated: true, Data: orders[0].Data}, 1},
		{"100", kpl.Record{PartitionKey: "customer-2", ExplicitHashKey: ehk, SubSequenceNumber: 1, Aggregated: true, Data: orders[1].Data}, 2},
		{"100", kpl.Record{PartitionKey: "customer-1", SubSequenceNumber: 2, Aggregated: true, Data: orders[2].Data}, 3},
		{"200", kpl.Record{Data: []byte(`{"order":4}`)}, 4},
		{"300", kpl.Record{PartitionKey: "customer-1", SubSequenceNumber: 0, Aggregated: true, Data: orders[0].Data}, 1},
		{"300", kpl.Record{PartitionKey: "customer-2", ExplicitHashKey: ehk, SubSequenceNumber: 1, Aggregated: true, Data: orders[1].Data}, 2},
	}
	require.Equal(t, want, got, "order 3 of aggregate 300 was not handled after order 2 failed")
}

// A handler whose payload type is kpl.Record receives the user record.
func TestLayerRecordPayload(t *testing.T) {
	datas := aggregate(t, binary)
	var got []kpl.Record
	h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{kpl.Layer()}}, func(_ context.Context, r kpl.Record, _ *envelope.Meta[events.KinesisEventRecord]) error {
		got = append(got, r)
		return nil
	})
	resp, err := core.Process(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), []events.KinesisEventRecord{kinesisRecord("1", "b", datas[0])}, h)
	require.NoError(t, err)
	require.Empty(t, resp.BatchItemFailures)
	require.Len(t, got, 2)
	require.Equal(t, binary[0].Data, got[0].Data)
	require.Equal(t, "1", got[1].ExplicitHashKey)
}

// withDigest returns magic + msg + MD5(msg): an aggregate whose digest
// matches, whatever msg holds.
func withDigest(msg []byte) []byte {
	sum := md5.Sum(msg)
	return append(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, msg...), sum[:]...)
}

// A corrupt aggregate fails alone with an error matching core.ErrDecode
// that names the KPL aggregate, before its handler runs; the good records of the batch
// succeed.
func TestCorruptAggregateFailsAlone(t *testing.T) {
	good := aggregate(t, orders)[0]
	msg := good[4 : len(good)-16]
	flipped := bytes.Clone(good)
	flipped[10] ^= 0xff
	cases := map[string][]byte{
		"too short":          {0xF3, 0x89, 0x9A, 0xC2, 1, 2, 3},
		"MD5 mismatch":       flipped,
		"truncated protobuf": withDigest(msg[:len(msg)-3]),
		"not protobuf":       withDigest([]byte{0xff, 0xff, 0xff}),
		"index out of table": withDigest(append(bytes.Clone(msg), 0x1a, 0x04, 0x08, 0x09, 0x1a, 0x00)), // a 4th record with partition key index 9
		"no data":            withDigest(append(bytes.Clone(msg), 0x1a, 0x02, 0x08, 0x00)),
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			recs, derr := kpl.Deaggregate(bad)
			require.Nil(t, recs)
			require.ErrorIs(t, derr, core.ErrDecode)
			require.ErrorContains(t, derr, "batchkit: KPL aggregate: ")

			calls := 0
			h := envelope.Wrap(envelope.Config[events.KinesisEventRecord]{Layers: []envelope.Layer{kpl.Layer()}}, func(context.Context, []byte, *envelope.Meta[events.KinesisEventRecord]) error {
				calls++
				return nil
			})
			b := core.NewBatch([]events.KinesisEventRecord{kinesisRecord("1", "k", good), kinesisRecord("2", "k", bad), kinesisRecord("3", "k", []byte("plain"))}, h)
			resp, err := core.Run(context.Background(), core.Must(processors.NewKinesis(processors.Config{})), b)
			require.NoError(t, err)
			require.Equal(t, []core.BatchItemFailure{{ItemIdentifier: core.StringID("2")}}, resp.BatchItemFailures)
			require.ErrorIs(t, b.Outcomes[1].Err, core.ErrDecode)
			var ue *envelope.UnwrapError
			require.ErrorAs(t, b.Outcomes[1].Err, &ue)
			require.Equal(t, "KPL aggregate", ue.Layer)
			require.Equal(t, derr.Error(), ue.Err.Error(), "the layer's error is Deaggregate's")
			require.Equal(t, 4, calls, "3 user records of the good aggregate and the plain record")
		})
	}
}

// Deaggregate never panics and returns records or an error, never both.
func FuzzDeaggregate(f *testing.F) {
	f.Add([]byte("plain"))
	f.Add(withDigest([]byte{0x0a, 0x01, 'k', 0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 'x'}))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := kpl.Deaggregate(data)
		if err != nil && recs != nil {
			t.Fatal("records and an error")
		}
		if bytes.HasPrefix(data, []byte{0xF3, 0x89, 0x9A, 0xC2}) {
			return
		}
		if err != nil || len(recs) != 1 || !bytes.Equal(recs[0].Data, data) {
			t.Fatalf("not aggregated data must pass through: %v %v", recs, err)
		}
	})
}
