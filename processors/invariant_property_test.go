package processors_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/chunk"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

// The acceptance test of issue 10: random batches through every processor
// and option combination, with random handler behaviours, checking
//
//   - the invariant: a record is absent from the failures only if its
//     handler returned nil; otherwise it is reported or the invocation
//     returns an error (or never returns: a sequential runtime.Goexit);
//   - ordering: under a stop policy no record runs after an earlier record
//     of its key (of the batch, for stop-the-batch) did not succeed, and no
//     record of a key starts before the earlier one has ended;
//   - liveness, where nothing may legitimately stop a record (no deadline,
//     no Goexit, no Source panic, no unreadable key): exactly the records
//     the policy allows run, so a key that collides with another's is
//     caught;
//   - hooks see every record end once, or none when the invocation was
//     refused.

// behaviour is what a record's handler does.
type behaviour uint8

const (
	behOK behaviour = iota
	behFail
	behPanic
	behGoexit
	behBlock // until the record's context is done (needs a deadline margin)
	behBlockThenOK
	numBehaviours
	// behOverrun ignores its context and returns nil after the deadline.
	// It needs ReturnAtMargin: genCase draws it apart (it is not below
	// numBehaviours, which the contracts property test draws from).
	behOverrun
)

// state is what a record's handler did, as logged.
const (
	stNotCalled int32 = iota
	stRunning
	stNil
	stErr
	stPanicked
	stGoexit
	stOverran // blocked past the deadline margin: the margin did not apply
)

// sourceFault is a panic injected into a Source function for one record.
type sourceFault uint8

const (
	faultNone sourceFault = iota
	faultKey
	faultIdentify
	faultEventSource
)

// corruption is what the raw entry receives for a record.
type corruption uint8

const (
	intact        corruption = iota
	badKeyKnown              // does not decode; its ordering key is readable
	badKeyUnknown            // does not decode, nor does its key
)

type policy uint8

const (
	polNone  policy = iota
	polBatch        // stop the batch at the first failure
	polKey          // stop the key at its first failure
	polOrder        // keys in order, no stop
)

type propCase struct {
	kind   string // sqs, fifo, fifo-skip, kinesis, dynamodb, kafka
	stream int    // kinesis, dynamodb: 0 none, 1 stop, 2 stop+order, 3 order
	conc   int
	hooks  int // 0 none, 1 counting, 2 counting + a hook dropping the deadline
	raw    bool
	margin bool
	// atMargin: ReturnAtMargin (with margin): Run returns at the margin
	// whatever the handlers do.
	atMargin bool
	keys     []int // key per record; -1: none (FIFO only)
	beh      []behaviour
	corrupt  []corruption
	fault    []sourceFault
	noTopic  []bool // kafka: the record names no topic
	lie      int    // a custom Response adds 1: a foreign identifier, 2: an empty one
	chunk    int    // > 0: a chunk handler (package chunk) of chunks of this size
	bulkErr  bool   // chunk: a chunk with a failed record fails as a whole
}

func (c propCase) String() string {
	return fmt.Sprintf("%s stream=%d conc=%d hooks=%d raw=%v margin=%v atMargin=%v lie=%d chunk=%d bulkErr=%v keys=%v beh=%v corrupt=%v fault=%v noTopic=%v",
		c.kind, c.stream, c.conc, c.hooks, c.raw, c.margin, c.atMargin, c.lie, c.chunk, c.bulkErr, c.keys, c.beh, c.corrupt, c.fault, c.noTopic)
}

func (c propCase) policy() policy {
	switch c.kind {
	case "fifo":
		return polBatch
	case "fifo-skip", "kafka":
		return polKey
	case "kinesis", "dynamodb":
		return [...]policy{polNone, polBatch, polKey, polOrder}[c.stream]
	}
	return polNone
}

// dynamoKeys are the item keys of the DynamoDB records, with pairs that
// a key joined without escaping would confuse.
var dynamoKeys = []map[string]events.DynamoDBAttributeValue{
	{"pk": events.NewStringAttribute("x,sk=S:y"), "sk": events.NewStringAttribute("z")},
	{"pk": events.NewStringAttribute("x"), "sk": events.NewStringAttribute("y,sk=S:z")},
	{"a": events.NewStringAttribute("1=S:2")},
	{"a=S:1": events.NewStringAttribute("2")},
}

func genCase(r *rand.Rand) propCase {
	kinds := []string{"sqs", "fifo", "fifo-skip", "kinesis", "dynamodb", "kafka"}
	c := propCase{kind: kinds[r.IntN(len(kinds))]}
	n := 1 + r.IntN(10)
	if c.kind == "kinesis" || c.kind == "dynamodb" {
		c.stream = r.IntN(4)
	}
	c.conc = 1
	concurrentOK := c.kind != "fifo" && !(c.stream == 1)
	if concurrentOK && r.IntN(3) > 0 {
		c.conc = 2 + r.IntN(4)
	}
	if c.stream == 3 && c.conc == 1 {
		c.conc = 2 // OrderByKey alone matters only under concurrency
	}
	c.hooks = r.IntN(3)
	c.raw = c.kind != "kafka" && r.IntN(2) == 0
	if r.IntN(4) == 0 {
		// Chunk handlers have no raw-bytes entry.
		c.chunk, c.bulkErr, c.raw = 1+r.IntN(4), r.IntN(3) == 0, false
	}
	c.margin = r.IntN(5) == 0
	c.atMargin = c.margin && r.IntN(2) == 0
	if r.IntN(10) == 0 {
		c.lie = 1 + r.IntN(2)
	}
	nKeys := 1 + r.IntN(3)
	if c.kind == "dynamodb" {
		nKeys = len(dynamoKeys)
	}
	for i := 0; i < n; i++ {
		k := r.IntN(nKeys)
		if c.kind == "fifo-skip" && r.IntN(6) == 0 {
			k = -1
		}
		c.keys = append(c.keys, k)
		b := behaviour(r.IntN(int(numBehaviours)))
		if (b == behBlock || b == behBlockThenOK) && !c.margin {
			b = behOK
		}
		if c.atMargin && r.IntN(6) == 0 {
			b = behOverrun
		}
		if r.IntN(3) == 0 { // mostly successes, so that orders matter
			b = behOK
		}
		c.beh = append(c.beh, b)
		var cr corruption
		if c.raw && r.IntN(6) == 0 {
			cr = corruption(1 + r.IntN(2))
		}
		c.corrupt = append(c.corrupt, cr)
		var f sourceFault
		if r.IntN(12) == 0 {
			f = sourceFault(1 + r.IntN(3))
		}
		c.fault = append(c.fault, f)
		c.noTopic = append(c.noTopic, c.kind == "kafka" && r.IntN(6) == 0)
	}
	return c
}

// propLog is what the handlers and hooks did in one invocation.
type propLog struct {
	state      []atomic.Int32
	start, end []atomic.Int64
	clock      atomic.Int64
	recordEnds []atomic.Int32
	mu         sync.Mutex
	batchEnds  []error
	pos        []int // each record's position in the slice given to the processor
}

func newPropLog(n int) *propLog {
	l := &propLog{state: make([]atomic.Int32, n), start: make([]atomic.Int64, n), end: make([]atomic.Int64, n), recordEnds: make([]atomic.Int32, n), pos: make([]int, n)}
	for i := range l.pos {
		l.pos[i] = i
	}
	return l
}

// handle runs behaviour b for record i.
func (l *propLog) handle(ctx context.Context, i int, b behaviour) error {
	l.start[i].Store(l.clock.Add(1))
	l.state[i].Store(stRunning)
	finish := func(s int32) {
		l.end[i].Store(l.clock.Add(1))
		l.state[i].Store(s)
	}
	switch b {
	case behFail:
		finish(stErr)
		return errors.New("handler failed")
	case behPanic:
		finish(stPanicked)
		panic("handler panicked")
	case behGoexit:
		finish(stGoexit)
		runtime.Goexit()
	case behOverrun:
		time.Sleep(150 * time.Millisecond) // past the invocation's deadline (80ms)
		finish(stNil)
		return nil
	case behBlock, behBlockThenOK:
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
			finish(stOverran)
			return errors.New("overran")
		}
		if b == behBlockThenOK {
			finish(stNil)
			return nil
		}
		finish(stErr)
		return ctx.Err()
	}
	finish(stNil)
	return nil
}

// chunked returns the chunk handler of the case: each record's behaviour
// in order, the chunk failing as a whole under bulkErr.
func chunked[R any](c propCase, l *propLog, idx func(*R) int) chunk.Handler[R] {
	return func(ctx context.Context, recs []*R) ([]error, error) {
		errs := make([]error, len(recs))
		for j, r := range recs {
			runtime.Gosched() // let concurrent chunks interleave
			errs[j] = l.handle(ctx, idx(r), c.beh[idx(r)])
			if errs[j] != nil && c.bulkErr {
				return nil, errs[j]
			}
		}
		return errs, nil
	}
}

// processChunks runs records through p in chunks, when the case says so.
func processChunks[R any](t *testing.T, c propCase, p core.PartialProcessor[R], l *propLog, idx func(*R) int, ctx context.Context, records []R) (core.Response, error) {
	cp, err := chunk.New(p, c.chunk)
	require.NoError(t, err)
	return chunk.Process(ctx, cp, records, chunked(c, l, idx))
}

// propHook counts RecordEnd per position.
type propHook struct {
	core.NopHook
	log *propLog
}

func (h propHook) RecordEnd(_ context.Context, info core.RecordInfo) {
	if info.Position >= 0 && info.Position < len(h.log.recordEnds) {
		h.log.recordEnds[info.Position].Add(1)
	}
}

func (h propHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	h.log.batchEnds = append(h.log.batchEnds, res.Err)
	return nil
}

// lyingProcessor is a custom processor whose Response adds an identifier
// Lambda would refuse.
type lyingProcessor[R any] struct {
	core.PartialProcessor[R]
	mode int
}

// Source forwards the wrapped processor's source.
func (p lyingProcessor[R]) Source() core.Source[R] {
	return p.PartialProcessor.(core.Planner[R]).Source()
}

// Options forwards the wrapped processor's options.
func (p lyingProcessor[R]) Options() core.Options {
	return p.PartialProcessor.(core.Planner[R]).Options()
}

func (p lyingProcessor[R]) Response(ctx context.Context, b *core.Batch[R]) (core.Response, error) {
	resp, err := p.PartialProcessor.Response(ctx, b)
	id := core.StringID("not-in-the-batch")
	if p.mode == 2 {
		id = core.Identifier{}
	}
	resp.BatchItemFailures = append(resp.BatchItemFailures, core.BatchItemFailure{ItemIdentifier: id})
	return resp, err
}

// lie wraps p in a lyingProcessor when the case says so.
func lie[R any](c propCase, p core.PartialProcessor[R]) core.PartialProcessor[R] {
	if c.lie == 0 {
		return p
	}
	return lyingProcessor[R]{PartialProcessor: p, mode: c.lie}
}

// dropDeadlineHook returns a context without the invocation's deadline.
type dropDeadlineHook struct{ core.NopHook }

func (dropDeadlineHook) BatchStart(context.Context, core.BatchInfo) context.Context {
	return context.Background()
}

// faulty wraps the Source functions of src to panic for the records fault
// names (idx reads a record's position).
func faulty[R any](src core.Source[R], c propCase, idx func(*R) int) core.Source[R] {
	has := func(f sourceFault) bool {
		for _, x := range c.fault {
			if x == f {
				return true
			}
		}
		return false
	}
	if has(faultKey) && src.Key != nil {
		key := src.Key
		src.Key = func(r *R) string {
			if i := idx(r); i >= 0 && c.fault[i] == faultKey {
				panic("Key bug")
			}
			return key(r)
		}
	}
	if has(faultIdentify) {
		identify := src.Identify
		src.Identify = func(r *R) core.Identifier {
			if i := idx(r); i >= 0 && c.fault[i] == faultIdentify {
				panic("Identify bug")
			}
			return identify(r)
		}
	}
	if has(faultEventSource) && src.EventSource != nil {
		es := src.EventSource
		src.EventSource = func(r *R) string {
			if i := idx(r); i >= 0 && c.fault[i] == faultEventSource {
				panic("EventSource bug")
			}
			return es(r)
		}
	}
	return src
}

func (c propCase) config(l *propLog) processors.Config {
	var cfg processors.Config
	cfg.Concurrency = c.conc
	if c.margin {
		cfg.DeadlineMargin = 40 * time.Millisecond
		cfg.ReturnAtMargin = c.atMargin
	}
	if c.hooks > 0 {
		cfg.Hooks = append(cfg.Hooks, propHook{log: l})
	}
	if c.hooks > 1 {
		cfg.Hooks = append(cfg.Hooks, dropDeadlineHook{})
	}
	switch c.kind {
	case "fifo-skip":
		cfg.SkipGroupOnError = true
	case "kinesis", "dynamodb":
		cfg.StopOnFirstFailure = c.stream == 1 || c.stream == 2
		cfg.OrderByKey = c.stream >= 2
	}
	return cfg
}

// run runs the case once and returns the response, the error and whether
// the invocation returned at all, and for each record its identifier.
func (c propCase) run(t *testing.T, l *propLog) (core.Response, error, bool, []core.Identifier) {
	ctx := context.Background()
	if c.margin {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 80*time.Millisecond)
		defer cancel()
	}
	var resp core.Response
	var err error
	returned := false
	var ids []core.Identifier
	var invoke func()
	cfg := c.config(l)
	pos := l.pos
	switch c.kind {
	case "sqs", "fifo", "fifo-skip":
		msgs := make([]batchtest.FIFOMessage, len(c.keys))
		for i, k := range c.keys {
			msgs[i].Body = strconv.Itoa(i)
			if k >= 0 {
				msgs[i].Group = "g" + strconv.Itoa(k)
			}
		}
		ev := batchtest.FIFOEvent(msgs...)
		for i := range ev.Records {
			ids = append(ids, core.StringID(ev.Records[i].MessageId))
		}
		var p *processors.SQSProcessor
		var perr error
		if c.kind == "sqs" {
			p, perr = processors.NewSQS(cfg)
		} else {
			p, perr = processors.NewSQSFIFO(cfg)
		}
		require.NoError(t, perr)
		idx := func(m *events.SQSMessage) int { i, err := strconv.Atoi(m.Body); return orMinus(i, err) }
		pp := lie[events.SQSMessage](c, core.NewBase(faulty(p.Source(), c, idx), p.Options()))
		h := func(ctx context.Context, m *events.SQSMessage) error { return l.handle(ctx, idx(m), c.beh[idx(m)]) }
		if c.raw {
			data := corrupt(t, ev, func(recs []map[string]any) {
				for i, cr := range c.corrupt {
					if cr != intact {
						recs[i]["body"] = 1
					}
					if cr == badKeyUnknown {
						recs[i]["attributes"] = "unreadable"
					}
				}
			})
			invoke = func() { resp, err = processors.SQSHandler(pp, h)(ctx, data) }
		} else if c.chunk > 0 {
			invoke = func() { resp, err = processChunks(t, c, pp, l, idx, ctx, ev.Records) }
		} else {
			invoke = func() { resp, err = core.Process(ctx, pp, ev.Records, h) }
		}
	case "kinesis":
		recs := make([]batchtest.KinesisRecord, len(c.keys))
		for i, k := range c.keys {
			recs[i] = batchtest.KinesisRecord{PartitionKey: "p" + strconv.Itoa(k), Data: strconv.Itoa(i)}
		}
		ev := batchtest.KinesisEvent(recs...)
		for i := range ev.Records {
			ids = append(ids, core.StringID(ev.Records[i].Kinesis.SequenceNumber))
		}
		p, perr := processors.NewKinesis(cfg)
		require.NoError(t, perr)
		idx := func(r *events.KinesisEventRecord) int {
			i, err := strconv.Atoi(string(r.Kinesis.Data))
			return orMinus(i, err)
		}
		pp := lie[events.KinesisEventRecord](c, core.NewBase(faulty(p.Source(), c, idx), p.Options()))
		h := func(ctx context.Context, r *events.KinesisEventRecord) error {
			return l.handle(ctx, idx(r), c.beh[idx(r)])
		}
		if c.raw {
			data := corrupt(t, ev, func(recs []map[string]any) {
				for i, cr := range c.corrupt {
					k := recs[i]["kinesis"].(map[string]any)
					if cr != intact {
						k["data"] = "%%%"
					}
					if cr == badKeyUnknown {
						delete(k, "partitionKey")
					}
				}
			})
			invoke = func() { resp, err = processors.KinesisHandler(pp, h)(ctx, data) }
		} else if c.chunk > 0 {
			invoke = func() { resp, err = processChunks(t, c, pp, l, idx, ctx, ev.Records) }
		} else {
			invoke = func() { resp, err = core.Process(ctx, pp, ev.Records, h) }
		}
	case "dynamodb":
		changes := make([]batchtest.Change, len(c.keys))
		for i, k := range c.keys {
			changes[i] = batchtest.Change{EventName: "INSERT", Keys: dynamoKeys[k],
				NewImage: map[string]events.DynamoDBAttributeValue{"i": events.NewStringAttribute(strconv.Itoa(i))}}
		}
		ev := batchtest.DynamoDBEvent(changes...)
		for i := range ev.Records {
			ids = append(ids, core.StringID(ev.Records[i].Change.SequenceNumber))
		}
		p, perr := processors.NewDynamoDB(cfg)
		require.NoError(t, perr)
		idx := func(r *events.DynamoDBEventRecord) int {
			v, ok := r.Change.NewImage["i"]
			if !ok {
				return -1
			}
			i, err := strconv.Atoi(v.String())
			return orMinus(i, err)
		}
		pp := lie[events.DynamoDBEventRecord](c, core.NewBase(faulty(p.Source(), c, idx), p.Options()))
		h := func(ctx context.Context, r *events.DynamoDBEventRecord) error {
			return l.handle(ctx, idx(r), c.beh[idx(r)])
		}
		if c.raw {
			data := corrupt(t, ev, func(recs []map[string]any) {
				for i, cr := range c.corrupt {
					d := recs[i]["dynamodb"].(map[string]any)
					if cr != intact {
						d["NewImage"] = map[string]any{"i": map[string]any{"XX": strconv.Itoa(i)}}
					}
					if cr == badKeyUnknown {
						delete(d, "Keys")
					}
				}
			})
			invoke = func() { resp, err = processors.DynamoDBHandler(pp, h)(ctx, data) }
		} else if c.chunk > 0 {
			invoke = func() { resp, err = processChunks(t, c, pp, l, idx, ctx, ev.Records) }
		} else {
			invoke = func() { resp, err = core.Process(ctx, pp, ev.Records, h) }
		}
	case "kafka":
		ev := events.KafkaEvent{EventSource: "aws:kafka", Records: map[string][]events.KafkaRecord{}}
		for i, k := range c.keys {
			tp := "t-" + strconv.Itoa(k)
			rec := events.KafkaRecord{Topic: "t", Partition: int64(k), Offset: int64(i), Value: strconv.Itoa(i)}
			if c.noTopic[i] {
				rec.Topic, rec.Partition = "", 0
			}
			ev.Records[tp] = append(ev.Records[tp], rec)
			ids = append(ids, core.KafkaID(tp, int64(i)))
		}
		p, perr := processors.NewKafka(cfg)
		require.NoError(t, perr)
		idx := func(r *events.KafkaRecord) int { i, err := strconv.Atoi(r.Value); return orMinus(i, err) }
		pp := lie[events.KafkaRecord](c, &processors.KafkaProcessor{Base: core.NewBase(faulty(p.Source(), c, idx), p.Options())})
		h := func(ctx context.Context, r *events.KafkaRecord) error { return l.handle(ctx, idx(r), c.beh[idx(r)]) }
		invoke = func() { resp, err = processors.ProcessKafka(ctx, pp, ev, h) }
		if c.chunk > 0 {
			recs := processors.KafkaRecords(ev)
			for p, r := range recs {
				if i := idx(&r); i >= 0 {
					pos[i] = p
				}
			}
			invoke = func() { resp, err = processChunks(t, c, pp, l, idx, ctx, recs) }
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		invoke()
		returned = true
	}()
	<-done
	return resp, err, returned, ids
}

func orMinus(i int, err error) int {
	if err != nil {
		return -1
	}
	return i
}

// check runs the case and returns the first violation, or "".
func (c propCase) check(t *testing.T) string {
	n := len(c.keys)
	l := newPropLog(n)
	resp, err, returned, ids := c.run(t, l)
	failed := err != nil || !returned

	// The invariant.
	reported := func(i int) bool {
		for _, f := range resp.BatchItemFailures {
			id := f.ItemIdentifier
			if id == ids[i] {
				return true
			}
			if c.kind == "kafka" && id.Partition == ids[i].Partition && id.Offset <= ids[i].Offset {
				return true // Lambda resumes the partition from there
			}
		}
		return false
	}
	for i := range n {
		s := l.state[i].Load()
		if s == stOverran {
			return fmt.Sprintf("record %d blocked past the deadline margin", i)
		}
		if !failed && s != stNil && !reported(i) {
			return fmt.Sprintf("record %d (handler state %d) is absent from the failures %v and the invocation returned no error", i, s, resp.Identifiers())
		}
	}

	// What leaves is a response Lambda accepts, or an error.
	if !failed {
		for _, f := range resp.BatchItemFailures {
			known := false
			for i := range n {
				known = known || f.ItemIdentifier == ids[i]
			}
			if !known {
				return fmt.Sprintf("the response names %q, not a record of the batch, and the invocation returned no error", f.ItemIdentifier.String())
			}
		}
	}

	// Ordering under the stop policy, by the records' true keys.
	pol := c.policy()
	sameKey := func(i, j int) bool {
		switch pol {
		case polBatch:
			return true
		case polKey, polOrder:
			return c.keys[i] == c.keys[j] && c.keys[i] >= 0
		}
		return false
	}
	// A chunk handler has the records of its chunk at once: the stop
	// policy reports those after a failure failed, but they did run.
	sameChunk := func(i, j int) bool { return c.chunk > 0 && l.pos[i]/c.chunk == l.pos[j]/c.chunk }
	for j := range n {
		if l.state[j].Load() == stNotCalled {
			continue
		}
		for i := range j {
			if !sameKey(i, j) {
				continue
			}
			si := l.state[i].Load()
			if pol != polOrder && si != stNil && !sameChunk(i, j) {
				return fmt.Sprintf("record %d ran although the earlier record %d of its key (handler state %d) did not succeed", j, i, si)
			}
			if si != stNotCalled && l.end[i].Load() > l.start[j].Load() {
				return fmt.Sprintf("record %d started before the earlier record %d of its key ended", j, i)
			}
		}
	}

	// Liveness, where nothing may legitimately stop a record.
	clean := !c.margin
	for i := range n {
		clean = clean && c.beh[i] != behGoexit && c.fault[i] == faultNone && c.corrupt[i] != badKeyUnknown && !c.noTopic[i]
		// In a chunk, a panic or a whole-chunk error leaves the chunk's
		// later records unhandled.
		clean = clean && (c.chunk == 0 || c.beh[i] != behPanic && !c.bulkErr)
	}
	if clean && pol != polOrder {
		for j := range n {
			allowed := c.corrupt[j] == intact
			for i := range j {
				if sameKey(i, j) && !sameChunk(i, j) && (c.beh[i] != behOK && c.beh[i] != behBlockThenOK || c.corrupt[i] != intact) {
					allowed = false
				}
			}
			if ran := l.state[j].Load() != stNotCalled; ran != allowed {
				return fmt.Sprintf("record %d ran=%v, but its policy allows running=%v", j, ran, allowed)
			}
		}
	}

	// Hooks: every invocation ends once, with its error; every record ends
	// once, or none when refused.
	if c.hooks > 0 && returned {
		if len(l.batchEnds) != 1 {
			return fmt.Sprintf("hooks saw %d batch ends", len(l.batchEnds))
		}
		if (l.batchEnds[0] == nil) != (err == nil) {
			return fmt.Sprintf("hooks saw the batch end with error %v, the invocation returned %v", l.batchEnds[0], err)
		}
		total := 0
		for i := range n {
			total += int(l.recordEnds[i].Load())
		}
		for i := range n {
			if e := l.recordEnds[i].Load(); total > 0 && e != 1 {
				return fmt.Sprintf("hooks saw record %d end %d times", i, e)
			}
		}
	}
	return ""
}

// TestEveryRecordAccountedFor is the property test of issue 10.
func TestEveryRecordAccountedFor(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, ok := lookupSeed(); ok {
		seed = s
	}
	cases := 1500
	if testing.Short() {
		cases = 200
	}
	r := rand.New(rand.NewPCG(seed, 10))
	deadline := time.Now().Add(12 * time.Second)
	for k := 0; k < cases && time.Now().Before(deadline); k++ {
		c := genCase(r)
		if v := c.check(t); v != "" {
			t.Fatalf("seed %d (PROPERTY_SEED=%d), case %d: %s\n%v", seed, seed, k, v, c)
		}
	}
}

// FuzzEveryRecordAccountedFor checks the same properties on the case a
// fuzzed seed generates.
func FuzzEveryRecordAccountedFor(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 42, 1796085547907968720} {
		f.Add(s, uint64(10))
	}
	f.Fuzz(func(t *testing.T, seed, stream uint64) {
		c := genCase(rand.New(rand.NewPCG(seed, stream)))
		if v := c.check(t); v != "" {
			t.Fatalf("%s\n%v", v, c)
		}
	})
}

// TestAccountingRegressions replays cases that caught the defects.
func TestAccountingRegressions(t *testing.T) {
	ok, fail, panicking, goexit := behOK, behFail, behPanic, behGoexit
	none := func(n int) []sourceFault { return make([]sourceFault, n) }
	intacts := func(n int) []corruption { return make([]corruption, n) }
	topics := func(n int) []bool { return make([]bool, n) }
	cases := []propCase{
		// item 1: Goexit under concurrency.
		{kind: "sqs", conc: 3, keys: []int{0, 0, 0}, beh: []behaviour{ok, goexit, ok}, fault: none(3), corrupt: intacts(3), noTopic: topics(3)},
		{kind: "fifo-skip", conc: 3, keys: []int{0, 0, 1}, beh: []behaviour{goexit, ok, ok}, fault: none(3), corrupt: intacts(3), noTopic: topics(3)},
		// item 2: a Key panic under concurrency.
		{kind: "fifo-skip", conc: 3, keys: []int{0, 0, 1}, beh: []behaviour{ok, ok, ok}, fault: []sourceFault{faultKey, 0, 0}, corrupt: intacts(3), noTopic: topics(3)},
		{kind: "kinesis", stream: 3, conc: 2, hooks: 1, keys: []int{0, 1}, beh: []behaviour{ok, ok}, fault: []sourceFault{0, faultIdentify}, corrupt: intacts(2), noTopic: topics(2)},
		// item 3: raw undecodable record under skip-group.
		{kind: "fifo-skip", raw: true, conc: 2, keys: []int{0, 0, 1}, beh: []behaviour{ok, ok, ok}, fault: none(3), corrupt: []corruption{badKeyKnown, 0, 0}, noTopic: topics(3)},
		{kind: "kinesis", stream: 2, raw: true, conc: 2, keys: []int{0, 0, 1}, beh: []behaviour{ok, ok, ok}, fault: none(3), corrupt: []corruption{badKeyUnknown, 0, 0}, noTopic: topics(3)},
		// item 4: Kafka record without topic.
		{kind: "kafka", conc: 2, keys: []int{0, 0, 1}, beh: []behaviour{fail, ok, ok}, fault: none(3), corrupt: intacts(3), noTopic: []bool{true, false, false}},
		// item 7: colliding DynamoDB keys.
		{kind: "dynamodb", stream: 2, conc: 2, keys: []int{0, 1}, beh: []behaviour{fail, ok}, fault: none(2), corrupt: intacts(2), noTopic: topics(2)},
		// item 9: a hook dropping the deadline.
		{kind: "sqs", conc: 2, hooks: 2, margin: true, keys: []int{0, 0}, beh: []behaviour{behBlock, ok}, fault: none(2), corrupt: intacts(2), noTopic: topics(2)},
		// a panic in the handler, sequentially, with hooks.
		{kind: "fifo", hooks: 1, keys: []int{0, 1}, beh: []behaviour{panicking, ok}, fault: none(2), corrupt: intacts(2), noTopic: topics(2)},
	}
	for i, c := range cases {
		t.Run(strconv.Itoa(i)+" "+c.kind, func(t *testing.T) {
			if v := c.check(t); v != "" {
				t.Fatalf("%s\n%v", v, c)
			}
		})
	}
}

func lookupSeed() (uint64, bool) {
	v, ok := os.LookupEnv("PROPERTY_SEED")
	if !ok {
		return 0, false
	}
	s, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	return s, err == nil
}
