// Command benchtable reads the output of repeated `go test -bench` runs
// (bench/run.sh) and prints BENCHMARKS.md's table for issue 11: for each
// row, the two sides' medians, the row's value (a ratio, a difference or a
// count) as min / median / max over the rounds, the goal and whether the
// median meets it.
//
//	go run ./cmd/benchtable results.txt
//
// Every benchmark is expected once per round, rounds in order (the i-th
// result of a benchmark belongs to round i). A ratio is taken within a round,
// between benchmarks that ran minutes apart at most, then summarised: the
// shared-machine noise that moves both sides together cancels out.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results maps "pkg.BenchmarkName/sub" (without the -GOMAXPROCS suffix) and a
// unit ("ns/op", "allocs/op", "ns/record", "x-ideal", ...) to the values of
// each round.
type results map[string]map[string][]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test output.
func parse(r io.Reader, into results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p[strings.LastIndex(p, "/")+1:]
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		name := pkg + "." + procSuffix.ReplaceAllString(f[0], "")
		if into[name] == nil {
			into[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			into[name][f[i+1]] = append(into[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// get returns a benchmark's value in a round.
func (r results) get(name, unit string, round int) (float64, bool) {
	vs := r[name][unit]
	if round >= len(vs) {
		return 0, false
	}
	return vs[round], true
}

// rounds returns how many rounds name has for unit.
func (r results) rounds(name, unit string) int { return len(r[name][unit]) }

// side is one benchmark (or the best of several) and a scale.
type side struct {
	names []string // the smallest value among them, per round
	unit  string
	scale float64 // multiplies the value (1 when 0)
}

func (s side) value(r results, round int) (float64, bool) {
	best, ok := 0.0, false
	for _, n := range s.names {
		if v, found := r.get(n, s.unit, round); found && (!ok || v < best) {
			best, ok = v, true
		}
	}
	if s.scale != 0 {
		best *= s.scale
	}
	return best, ok
}

func (s side) label() string {
	if len(s.names) == 1 {
		return s.names[0]
	}
	return "best of " + strings.Join(s.names, ", ")
}

// row is one line of the table.
type row struct {
	what string
	a, b *side // a: batchkit, b: the comparison (nil for a plain value)
	// value computes the row's value from a and b in one round, unless
	// ratioOf names the metric holding it (a ratio measured within the
	// benchmark, see bench.BenchmarkPaired).
	value   func(a, b float64) float64
	ratioOf *side
	unit    string // of a and b
	goal    string
	met     func(v float64) bool
	fmtV    string // format of the value
}

func ratio(a, b float64) float64           { return b / a } // how many times a beats b
func over(a, b float64) float64            { return a / b } // a over b
func minus(a, b float64) float64           { return a - b }
func only(a, _ float64) float64            { return a }
func atMost(x float64) func(float64) bool  { return func(v float64) bool { return v <= x } }
func atLeast(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }

func one(name, unit string) *side { return &side{names: []string{name}, unit: unit} }

// issue11 lists the rows of issue 11.
func issue11() []row {
	var rows []row
	for _, k := range []struct {
		name, title string
		raw, invoke float64
		allocs      float64
	}{
		{"sqs", "SQS", 1.3, 5, 3},
		{"kinesis", "Kinesis", 1.3, 6, 1},
		{"dynamodb", "DynamoDB", 1.3, 10, 35},
	} {
		paired := "bench.BenchmarkPaired/decode/" + k.name
		rows = append(rows, row{
			what: k.title + ": raw entry vs the fastest JSON library (sonic, sonic fastest, goccy/go-json) decoding into aws-lambda-go types + core.Process, 1,000 records",
			a:    one(paired, "raw-ns/record"), b: &side{names: []string{paired}, unit: "best-ns/record"},
			ratioOf: one(paired, "x-best"), unit: "ns/record", goal: fmt.Sprintf(">= %.1fx", k.raw), met: atLeast(k.raw), fmtV: "%.2fx",
		})
		for _, lib := range []struct{ metric, title string }{
			{"sonic", "sonic (default configuration, sonic.Unmarshal)"},
			{"sonic-fastest", "sonic (ConfigFastest: no UTF-8 check)"},
			{"goccy", "goccy/go-json"},
		} {
			rows = append(rows, row{
				what: k.title + ": raw entry vs " + lib.title + " alone",
				a:    one(paired, "raw-ns/record"), b: one(paired, lib.metric+"-ns/record"),
				ratioOf: one(paired, "x-"+lib.metric), unit: "ns/record", goal: fmt.Sprintf("(>= %.1fx)", k.raw), met: atLeast(k.raw), fmtV: "%.2fx",
			})
		}
	}
	for _, k := range []struct {
		name, title string
		goal        float64
	}{{"sqs", "SQS", 5}, {"kinesis", "Kinesis", 6}, {"dynamodb", "DynamoDB", 10}} {
		paired := "bench.BenchmarkPaired/invoke/" + k.name
		rows = append(rows, row{
			what: k.title + ": raw entry vs encoding/json + core.Process, whole invocation (bytes in, response bytes out, 10% of records failing), 1,000 records",
			a:    one(paired, "raw-ns/record"), b: one(paired, "encoding-json-ns/record"),
			ratioOf: one(paired, "x-encoding-json"), unit: "ns/record", goal: fmt.Sprintf(">= %.0fx", k.goal), met: atLeast(k.goal), fmtV: "%.2fx",
		})
	}
	for _, k := range []struct {
		name, title string
		goal        float64
	}{{"sqs", "SQS", 3}, {"kinesis", "Kinesis", 1}, {"dynamodb", "DynamoDB", 35}} {
		rows = append(rows, row{
			what:  k.title + ": raw entry allocations per record (1,000 records)",
			a:     &side{names: []string{"bench.BenchmarkDecode/" + k.name + "/raw"}, unit: "allocs/op", scale: 1.0 / 1000},
			value: only, unit: "allocs/record", goal: fmt.Sprintf("<= %.0f", k.goal), met: atMost(k.goal), fmtV: "%.2f",
		})
	}
	for _, k := range []struct {
		rounds string
		goal   float64
	}{{"10", 1.4}, {"200", 1.8}} {
		paired := "bench.BenchmarkPaired/cpubound/sha" + k.rounds
		rows = append(rows, row{
			what: "CPU-bound handler (sha256 x" + k.rounds + "), 1,000 records: concurrency 2 speedup over sequential",
			a:    one(paired, "concurrency2-ns/record"), b: one(paired, "sequential-ns/record"),
			ratioOf: one(paired, "x-sequential"), unit: "ns/record", goal: fmt.Sprintf(">= %.1fx", k.goal), met: atLeast(k.goal), fmtV: "%.2fx",
		})
	}
	rows = append(rows,
		row{
			what: "1,000 records x time.Sleep(1ms), concurrency 1,000: wall time over the ideal",
			a:    one("processors.BenchmarkSQSConcurrentSleep/bound=1000", "x-ideal"), value: only, unit: "x", goal: "<= 1.3x", met: atMost(1.3), fmtV: "%.2fx",
		},
		row{
			what: "Kinesis ordered by partition key, concurrency 10 (BenchmarkOrderedConcurrentSleep: 10 keys x 20 records): over the ideal",
			a:    one("processors.BenchmarkOrderedConcurrentSleep/kinesis-order-by-key", "x-ideal"), value: only, unit: "x", goal: "<= 1.1x", met: atMost(1.1), fmtV: "%.2fx",
		},
	)
	for _, p := range []struct{ bench, title string }{{"SQS", "SQS"}, {"SQSFIFO", "SQS FIFO"}, {"Kinesis", "Kinesis"}, {"DynamoDB", "DynamoDB"}} {
		rows = append(rows, row{
			what: p.title + ": no-op handler, 10,000 records, sequential, over a hand loop reading each record's identifier and eventSource",
			a:    one("processors.Benchmark"+p.bench+"/n=10000/noop/batchkit", "ns/record"), b: one("processors.Benchmark"+p.bench+"/n=10000/readid/loop+check", "ns/record"),
			value: over, unit: "ns/record", goal: "<= 1.3x", met: atMost(1.3), fmtV: "%.2fx",
		})
	}
	rows = append(rows, row{
		what: "SQS 10-record batch: fixed cost per batch (10-record batch minus 10 records at the 10,000-record rate)",
		a:    one("processors.BenchmarkSQS/n=10/noop/batchkit", "ns/op"), b: &side{names: []string{"processors.BenchmarkSQS/n=10000/noop/batchkit"}, unit: "ns/record", scale: 10},
		value: minus, unit: "ns", goal: "<= 100 ns", met: atMost(100), fmtV: "%.0f ns",
	})
	for _, p := range []struct{ bench, title string }{{"SQS", "SQS"}, {"SQSFIFO", "SQS FIFO"}, {"Kinesis", "Kinesis"}, {"DynamoDB", "DynamoDB"}} {
		rows = append(rows, row{
			what: p.title + ": core.Process with a deadline context, extra cost per record (10,000 records)",
			a:    one("processors.Benchmark"+p.bench+"/n=10000/noop/batchkit-deadline", "ns/record"), b: one("processors.Benchmark"+p.bench+"/n=10000/noop/batchkit", "ns/record"),
			value: minus, unit: "ns/record", goal: "<= +1 ns", met: atMost(1), fmtV: "%+.2f ns",
		})
	}
	rows = append(rows,
		row{
			what: "OpenTelemetry hook per record (SDK spans and metrics, 1,000 records), wall time",
			a:    one("otel.BenchmarkRecord/plain", "ns/record"), value: only, unit: "ns", goal: "<= 1,000 ns", met: atMost(1000), fmtV: "%.0f ns",
		},
		row{
			what: "OpenTelemetry hook per record, CPU time (all threads, GC included)",
			a:    one("otel.BenchmarkRecord/plain", "cpu-ns/record"), value: only, unit: "ns", goal: "<= 1,000 ns", met: atMost(1000), fmtV: "%.0f ns",
		},
		row{
			what: "OpenTelemetry hook allocations per record",
			a:    &side{names: []string{"otel.BenchmarkRecord/plain"}, unit: "allocs/op", scale: 1.0 / 1000}, value: only, unit: "allocs", goal: "<= 4", met: atMost(4), fmtV: "%.2f",
		},
	)
	return rows
}

// issue23 lists the decoding rows of issue 23 (ROWS=decoding bash
// bench/run.sh): each ratio on wall time and on the process's CPU time
// (all threads, the garbage collector's included), which a shared machine's
// waiting for a core does not inflate.
func issue23() []row {
	var rows []row
	for _, m := range []struct{ prefix, title string }{{"", "wall time"}, {"cpu-", "CPU time"}} {
		for _, k := range []struct {
			name, title string
			goal        float64
		}{{"sqs", "SQS", 1.0}, {"kinesis", "Kinesis", 1.0}, {"dynamodb", "DynamoDB", 1.0}} {
			paired := "bench.BenchmarkPaired/decode/" + k.name
			rows = append(rows, row{
				what: k.title + ": raw entry vs the fastest JSON library (sonic, sonic fastest, goccy/go-json) into aws-lambda-go types + core.Process, 1,000 records, " + m.title,
				a:    one(paired, "raw-"+m.prefix+"ns/record"), b: one(paired, "best-"+m.prefix+"ns/record"),
				ratioOf: one(paired, m.prefix+"x-best"), unit: "ns/record", goal: fmt.Sprintf(">= %.1fx", k.goal), met: atLeast(k.goal), fmtV: "%.2fx",
			})
			rows = append(rows, row{
				what: k.title + ": raw entry vs the fastest library owning its strings (goccy/go-json, sonic with CopyString), " + m.title,
				a:    one(paired, "raw-"+m.prefix+"ns/record"), b: one(paired, "goccy-"+m.prefix+"ns/record"),
				ratioOf: one(paired, m.prefix+"x-best-owning"), unit: "ns/record", goal: fmt.Sprintf("(>= %.1fx)", k.goal), met: atLeast(k.goal), fmtV: "%.2fx",
			})
		}
		for _, k := range []struct {
			name, title string
			goal        float64
		}{{"sqs", "SQS", 5}, {"kinesis", "Kinesis", 6}, {"dynamodb", "DynamoDB", 10}} {
			paired := "bench.BenchmarkPaired/invoke/" + k.name
			rows = append(rows, row{
				what: k.title + ": raw entry vs encoding/json + core.Process, whole invocation (bytes in, response bytes out), 1,000 records, " + m.title,
				a:    one(paired, "raw-"+m.prefix+"ns/record"), b: one(paired, "encoding-json-"+m.prefix+"ns/record"),
				ratioOf: one(paired, m.prefix+"x-encoding-json"), unit: "ns/record", goal: fmt.Sprintf(">= %.0fx", k.goal), met: atLeast(k.goal), fmtV: "%.2fx",
			})
		}
		rows = append(rows, row{
			what: "SQS: raw entry throughput (MB of event per second, 1,000 records), " + m.title,
			a:    one("bench.BenchmarkPaired/decode/sqs", "event-B/record"), b: one("bench.BenchmarkPaired/decode/sqs", "raw-"+m.prefix+"ns/record"),
			value: perSecond, unit: "B/record", goal: ">= 400 MB/s", met: atLeast(400), fmtV: "%.0f MB/s",
		})
		// The raw decoding without owning its strings (bench's
		// "raw-view"): what the entry would cost making sonic's default
		// trade, against the same fastest library.
		rows = append(rows, row{
			what: "SQS bound: the raw decoding with its strings pointing into the event (no string copied: sonic's default trade, unsafe under aws-lambda-go's buffer reuse) vs the fastest JSON library, " + m.title,
			a:    one("bench.BenchmarkPaired/decode/sqs", "raw-view-"+m.prefix+"ns/record"), b: one("bench.BenchmarkPaired/decode/sqs", "best-"+m.prefix+"ns/record"),
			value: ratio, unit: "ns/record", goal: "(bound)", fmtV: "%.2fx",
		})
		// The floor (bench.sqsFloor): what aws-lambda-go's SQSMessage
		// costs any decoder with no parsing at all, in the same rounds.
		rows = append(rows, row{
			what: "SQS floor: the records and maps aws-lambda-go's SQSMessage forces, built with no parsing, + core.Process, over the raw entry, " + m.title,
			a:    one("bench.BenchmarkPaired/decode/sqs", "raw-"+m.prefix+"ns/record"), b: one("bench.BenchmarkPaired/decode/sqs", "floor-"+m.prefix+"ns/record"),
			ratioOf: one("bench.BenchmarkPaired/decode/sqs", m.prefix+"x-floor"), unit: "ns/record", goal: "(bound)", fmtV: "%.2fx",
		})
		rows = append(rows, row{
			what: "SQS floor: throughput with no parsing (MB of event per second), " + m.title,
			a:    one("bench.BenchmarkPaired/decode/sqs", "event-B/record"), b: one("bench.BenchmarkPaired/decode/sqs", "floor-"+m.prefix+"ns/record"),
			value: perSecond, unit: "B/record", goal: "(bound)", fmtV: "%.0f MB/s",
		})
	}
	for _, k := range []struct {
		name, title string
		goal        float64
	}{{"sqs", "SQS", 3}, {"kinesis", "Kinesis", 1}, {"dynamodb", "DynamoDB", 35}} {
		rows = append(rows, row{
			what:  k.title + ": raw entry allocations per record (1,000 records)",
			a:     &side{names: []string{"bench.BenchmarkDecode/" + k.name + "/raw"}, unit: "allocs/op", scale: 1.0 / 1000},
			value: only, unit: "allocs/record", goal: fmt.Sprintf("<= %.0f", k.goal), met: atMost(k.goal), fmtV: "%.2f",
		})
	}
	return rows
}

// perSecond is MB/s from bytes per record (a) and ns per record (b).
func perSecond(a, b float64) float64 { return a / b * 1000 }

// stats returns min, median and max.
func stats(vs []float64) (lo, med, hi float64) {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		med = s[n/2]
	} else {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}

func main() {
	which := flag.String("rows", "all", "the rows to print: all (issue 11's), or decoding (issue 23's)")
	flag.Parse()
	r := results{}
	if flag.NArg() == 0 {
		if err := parse(os.Stdin, r); err != nil {
			fail(err)
		}
	}
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fail(err)
		}
		err = parse(f, r)
		f.Close()
		if err != nil {
			fail(err)
		}
	}
	if *which == "decoding" {
		write(os.Stdout, r, issue23())
		return
	}
	write(os.Stdout, r, issue11())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchtable:", err)
	os.Exit(1)
}

// write prints the table.
func write(w io.Writer, r results, rows []row) {
	fmt.Fprintln(w, "| row | batchkit (median) | comparison (median) | value: min / median / max | rounds | goal | met |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | --- |")
	for _, row := range rows {
		var vals, as, bs []float64
		n := r.rounds(row.a.names[0], row.a.unit)
		for round := range n {
			a, ok := row.a.value(r, round)
			if !ok {
				continue
			}
			b := 0.0
			if row.b != nil {
				if b, ok = row.b.value(r, round); !ok {
					continue
				}
				bs = append(bs, b)
			}
			as = append(as, a)
			if row.ratioOf != nil {
				v, ok := row.ratioOf.value(r, round)
				if !ok {
					continue
				}
				vals = append(vals, v)
				continue
			}
			vals = append(vals, row.value(a, b))
		}
		if len(vals) == 0 {
			fmt.Fprintf(w, "| %s | not measured (%s) | | | 0 | %s | |\n", row.what, row.a.label(), row.goal)
			continue
		}
		lo, med, hi := stats(vals)
		_, am, _ := stats(as)
		bcell := ""
		if row.b != nil {
			_, bm, _ := stats(bs)
			bcell = num(bm) + " " + row.unit
		}
		met := "no"
		switch {
		case row.met == nil:
			met = "" // a bound shown beside the goals, not a goal
		case row.met(med):
			met = "**yes**"
		}
		fmt.Fprintf(w, "| %s | %s %s | %s | "+row.fmtV+" / **"+row.fmtV+"** / "+row.fmtV+" | %d | %s | %s |\n",
			row.what, num(am), row.unit, bcell, lo, med, hi, len(vals), row.goal, met)
	}
}

// num formats a measurement: whole numbers with thousands separators from
// 100 up, three significant digits below.
func num(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	digits := strconv.FormatFloat(v, 'f', 0, 64)
	var out []byte
	for i, c := range []byte(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	return string(out)
}
