package rawjson

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// message is the document of the package's benchmarks: the shape of a
// queue message (identifiers, a body carrying escaped JSON, a map of
// attributes, a number, a list of strings).
type message struct {
	ID         string            `json:"id"`
	Handle     string            `json:"handle"`
	Body       string            `json:"body"`
	Attributes map[string]string `json:"attributes"`
	Count      int64             `json:"count"`
	Tags       []string          `json:"tags"`
}

var messageKeys = []string{"id", "handle", "body", "attributes", "count", "tags"}

// decodeMessages decodes an array of messages with a Dec.
func decodeMessages(s string) ([]message, error) {
	d := NewDec(s)
	if isNull, err := d.OpenArray(); err != nil || isNull {
		return nil, err
	}
	var out []message
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		out = append(out, message{})
		m := &out[len(out)-1]
		if err := d.OpenRecord(); err != nil {
			return nil, err
		}
		err = d.Fields(messageKeys, func(key string) (bool, error) {
			switch key {
			case "id":
				return true, d.StrField(&m.ID)
			case "handle":
				return true, d.StrField(&m.Handle)
			case "body":
				return true, d.StrField(&m.Body)
			case "attributes":
				return true, d.StringMap(&m.Attributes)
			case "count":
				return true, d.Int64Field(&m.Count)
			case "tags":
				return true, d.StringSlice(&m.Tags)
			}
			return false, nil
		})
		if err != nil {
			return nil, err
		}
	}
	if !d.AtEnd() {
		return nil, d.Errorf("data after the array")
	}
	return out, nil
}

// benchMessages returns n messages as a JSON array, about 600 bytes each.
func benchMessages(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%08x-87a3-44ab-83d2-661975830a7d","handle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0aAQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a%06d",`, i, i)
		fmt.Fprintf(&b, `"body":"{\"orderId\":\"order-%08d\",\"customer\":\"customer-%04d\",\"amount\":%d.%02d,\"currency\":\"EUR\",\"items\":[{\"sku\":\"sku-1\",\"qty\":1}]}",`, i, i%1000, i%500, i%100)
		fmt.Fprintf(&b, `"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},"count":%d,"tags":["a","b"]}`, i)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// TestMessagesMatchEncodingJSON: the benchmark's decoder gives what
// encoding/json gives.
func TestMessagesMatchEncodingJSON(t *testing.T) {
	data := benchMessages(50)
	var want []message
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	got, err := decodeMessages(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got[0], want[0])
	}
}

// decoder is one contender of BenchmarkMessages.
type decoder struct {
	name string
	run  func(data []byte) error
}

// decoders are the contenders: this package (from the bytes, counting the
// one copy of the input it reads from) and encoding/json; json_v2_test.go
// adds encoding/json/v2 when the toolchain has it (GOEXPERIMENT=jsonv2).
var decoders = []decoder{
	{"rawjson", func(data []byte) error { _, err := decodeMessages(string(data)); return err }},
	{"encoding-json", func(data []byte) error { var m []message; return json.Unmarshal(data, &m) }},
}

// BenchmarkMessages decodes 1,000 messages with each contender in turn, in
// blocks of about 20 ms whose order rotates, so that all see the same
// machine (it is shared), and reports per message the median wall and CPU
// time (the process's, all threads, the garbage collector's included) of
// each, and each one's CPU time over rawjson's ("cpu-x-<name>"), taken
// within each round.
//
//	go test -run '^$' -bench Messages -benchtime 20x ./internal/rawjson
//	GOEXPERIMENT=jsonv2 go test -run '^$' -bench Messages -benchtime 20x ./internal/rawjson
func BenchmarkMessages(b *testing.B) {
	const n = 1000
	data := benchMessages(n)
	block := make([]int, len(decoders))
	for i, c := range decoders {
		start := time.Now()
		if err := c.run(data); err != nil {
			b.Fatal(c.name, err)
		}
		block[i] = max(1, int(20*time.Millisecond/max(time.Since(start), time.Microsecond)))
	}
	wall := make([][]float64, len(decoders))
	cpu := make([][]float64, len(decoders))
	round := 0
	for b.Loop() {
		for j := range decoders {
			i := (j + round) % len(decoders)
			start, c0 := time.Now(), cpuTime()
			for range block[i] {
				if err := decoders[i].run(data); err != nil {
					b.Fatal(err)
				}
			}
			per := float64(block[i] * n)
			wall[i] = append(wall[i], float64(time.Since(start).Nanoseconds())/per)
			cpu[i] = append(cpu[i], float64((cpuTime()-c0).Nanoseconds())/per)
		}
		round++
	}
	for i, c := range decoders {
		b.ReportMetric(median(wall[i]), c.name+"-ns/msg")
		b.ReportMetric(median(cpu[i]), c.name+"-cpu-ns/msg")
		if i > 0 {
			r := make([]float64, round)
			for k := range round {
				r[k] = cpu[i][k] / cpu[0][k]
			}
			b.ReportMetric(median(r), "cpu-x-"+c.name)
		}
	}
	b.ReportMetric(float64(len(data))/n, "B/msg")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkMessagesAllocs reports each contender's allocations for 1,000
// messages.
func BenchmarkMessagesAllocs(b *testing.B) {
	data := benchMessages(1000)
	for _, c := range decoders {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := c.run(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStr scans strings: plain ASCII (a substring of the input), with
// escaped quotes (unescaped into the arena), and with non-ASCII text.
func BenchmarkStr(b *testing.B) {
	for _, c := range []struct{ name, lit string }{
		{"plain", `"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0aAQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a000001"`},
		{"escaped", `"{\"orderId\":\"order-00000001\",\"customer\":\"customer-0001\",\"amount\":1.01,\"currency\":\"EUR\",\"items\":[{\"sku\":\"sku-1\",\"qty\":1}]}"`},
		{"utf8", `"Grüße aus Köln, café crème, naïve façade — 東京"`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.lit)))
			d := NewDec(c.lit)
			for b.Loop() {
				d.i = 0
				if _, err := d.Str(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
