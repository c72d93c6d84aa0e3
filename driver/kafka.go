package driver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/batchkit/batchkit/driver/filter"
)

// Kafka event source mapping defaults and limits, as Lambda documents them
// for Amazon MSK and self-managed Apache Kafka in provisioned mode.
const (
	// KafkaDefaultBatchSize is the BatchSize when none is set.
	KafkaDefaultBatchSize = 100
	// KafkaMaxBatchSize is the largest BatchSize.
	KafkaMaxBatchSize = 10000
	// KafkaDefaultBatchingWindow is Lambda's MaximumBatchingWindowInSeconds
	// for Kafka when none is set: 500 ms.
	KafkaDefaultBatchingWindow = 500 * time.Millisecond
	// KafkaMaxBatchingWindow is the longest batching window.
	KafkaMaxBatchingWindow = 300 * time.Second
	// KafkaMaxRetryAttempts is the largest MaximumRetryAttempts.
	KafkaMaxRetryAttempts = 10000
	// KafkaInfiniteRetriesWithDestination caps MaximumRetryAttempts -1
	// (infinite) when an on-failure destination is set.
	KafkaInfiniteRetriesWithDestination = 10
	// MaxInvocationPayload is Lambda's limit on an event: 6 MB.
	MaxInvocationPayload = 6 * 1024 * 1024
	// AtTimestamp starts a Kafka mapping at the first record at or after
	// StartingPositionTimestamp.
	AtTimestamp = "AT_TIMESTAMP"
)

// ErrInvalidKafkaConfig matches, with errors.Is, every [*KafkaConfigError].
var ErrInvalidKafkaConfig = errors.New("batchkit/driver: invalid Kafka event source mapping setting")

// KafkaConfigError is a [Kafka] setting that Lambda would refuse.
type KafkaConfigError struct {
	// Setting is the event source mapping setting, such as "BatchSize".
	Setting string
	// Value is the value given.
	Value any
	// Reason says what Lambda accepts.
	Reason string
}

// Error names the setting, its value and what Lambda accepts.
func (e *KafkaConfigError) Error() string {
	return fmt.Sprintf("batchkit/driver: Kafka event source mapping: %s %v is invalid: %s", e.Setting, e.Value, e.Reason)
}

// Is matches [ErrInvalidKafkaConfig].
func (e *KafkaConfigError) Is(target error) bool { return target == ErrInvalidKafkaConfig }

// Kafka is an event source mapping for Amazon MSK or self-managed Apache
// Kafka. It reads the topics' partitions through franz-go at any brokers (a
// real cluster, or kfake in-process), builds Lambda's Kafka event (records
// grouped under "<topic>-<partition>", base64 keys and values, headers as
// arrays of signed bytes), invokes a [Function] (one invocation per
// partition at once) and applies the response:
//
//   - with ReportBatchItemFailures, a partial batch response reports
//     {"partition", "offset"} items: each
//     reported partition resumes from its lowest reported offset, the other
//     records are committed;
//   - a function error, a failed invocation or an invalid response (an item
//     that is not a record of the batch) fails the whole batch;
//   - failed records are retried in order, before anything later of their
//     partitions, up to MaximumRetryAttempts (bisected first when
//     BisectBatchOnFunctionError is set, which does not use up retries),
//     then discarded: sent to OnFailure when set, and committed;
//   - records older than MaximumRecordAgeInSeconds, and a record too large
//     for the 6 MB payload alone, are discarded without an invocation;
//   - records that Filter does not match are never sent to the function and
//     are committed with the others.
//
// The committed position of each partition (the lowest offset not yet
// decided) is committed to the consumer group ConsumerGroupID, and a new
// mapping on the same group resumes from it, as Lambda does. Use
// [NewKafka] for Lambda's defaults. A Kafka polls when you call Poll (or
// [Drain]); do not call Poll from several goroutines at once. Close it when
// done.
type Kafka struct {
	// SeedBrokers are the bootstrap servers ("host:port"), also sent as the
	// event's bootstrapServers.
	SeedBrokers []string
	// Topics are the topics to read (Lambda takes one per mapping).
	Topics []string
	// ClientOptions are extra franz-go options for a real cluster (TLS,
	// SASL, ...).
	ClientOptions []kgo.Opt
	// ConsumerGroupID is the group the positions are committed to; empty
	// means "batchkit-driver-<topics>". Lambda's default is the mapping's
	// UUID.
	ConsumerGroupID string
	// EventSource is [KafkaSourceMSK] (the default) or
	// [KafkaSourceSelfManaged].
	EventSource string
	// EventSourceARN is the MSK cluster's ARN in the event; empty means a
	// local one. Self-managed events have none.
	EventSourceARN string
	// FunctionARN is the function's ARN in invocation records; empty means
	// a local one.
	FunctionARN string
	// BatchSize is the most records per invocation (1 to 10,000); 0 means
	// 100.
	BatchSize int
	// MaximumBatchingWindow is how long records are gathered, from the
	// first record's arrival, before an invocation
	// (MaximumBatchingWindowInSeconds, up to 300 s); the batch goes sooner
	// when it holds BatchSize records or reaches 6 MB. Zero invokes with
	// the records of the first fetch that brings any; [NewKafka] sets
	// Lambda's default for Kafka when the setting is absent, 500 ms.
	MaximumBatchingWindow time.Duration
	// StartingPosition is [TrimHorizon] (the default), [Latest] or
	// [AtTimestamp], for partitions the group has no committed offset for.
	StartingPosition string
	// StartingPositionTimestamp is the time for [AtTimestamp].
	StartingPositionTimestamp time.Time
	// MaximumRetryAttempts is how many times failed records are retried
	// before they are discarded: -1 (infinite, Lambda's default, set by
	// [NewKafka]; 10 when OnFailure is set) or 0 to 10,000. The zero value
	// retries none.
	MaximumRetryAttempts int
	// BisectBatchOnFunctionError splits a batch that failed as a whole in
	// two and retries each half, without using up retries.
	BisectBatchOnFunctionError bool
	// MaximumRecordAgeInSeconds discards records older than this (by their
	// timestamp) without invoking the function: -1 or 0 for no limit, or 60
	// to 604,800.
	MaximumRecordAgeInSeconds int
	// OnFailure receives the discarded records
	// (DestinationConfig.OnFailure): an [SQSDestination],
	// [SNSDestination], [S3Destination] or [KafkaTopicDestination] (on this
	// mapping's cluster); nil drops them.
	OnFailure Destination
	// ReportBatchItemFailures is FunctionResponseTypes
	// [ReportBatchItemFailures]: the function's batchItemFailures decide
	// which records are retried. Without it (Lambda's default) the response
	// is ignored and a batch whose invocation succeeded is done.
	ReportBatchItemFailures bool
	// Filter is the mapping's FilterCriteria; nil sends every record.
	Filter *filter.Criteria
	// MaxPayloadBytes is the invocation payload limit; 0 means
	// [MaxInvocationPayload].
	MaxPayloadBytes int
	// IdleWait is how long a Poll waits for a first record (the batching
	// window starts with it); 0 means 100 ms. Records that were already
	// in the topics when the mapping opened are waited for up to 10 s
	// instead, whatever IdleWait says: the client's first fetch can take
	// longer than IdleWait, and that is not an idle source.
	IdleWait time.Duration

	mu        sync.Mutex
	client    *kgo.Client
	admin     *kadm.Client
	queue     []kafkaPending
	carry     []*kgo.Record
	next      map[kafkaTP]int64
	committed map[kafkaTP]int64
	// waiting: when the client was opened, records were already there to
	// read (the end offsets were past the positions to read from), and none
	// has been fetched yet. The client's first fetch (metadata, offsets,
	// the fetch itself) can take longer than IdleWait on a loaded machine;
	// while waiting, an empty wait is not taken for an idle source.
	waiting bool
	stats   KafkaStats
}

// kafkaTP is a topic-partition.
type kafkaTP struct {
	topic     string
	partition int32
}

// kafkaPending is a batch of records whose fate is not decided yet: read
// and never invoked, or failed and waiting for a retry.
type kafkaPending struct {
	recs    []*kgo.Record
	retries int // retries used
	invokes int // invocations that held these records
}

// KafkaStats counts what a [Kafka] mapping did.
type KafkaStats struct {
	// Records is the number of records read from Kafka.
	Records int
	// Filtered is the number of records Filter dropped.
	Filtered int
	// Invocations is the number of invocations.
	Invocations int
	// Succeeded is the number of records the function processed
	// successfully: those of a successful invocation that the response
	// did not report.
	Succeeded int
	// Retries is the number of invocations that retried failed records.
	Retries int
	// Bisections is the number of failed batches split in two.
	Bisections int
	// Discarded is the number of records discarded (retries exhausted,
	// record age, payload size).
	Discarded int
	// RecordAgeExceeded is the number of records discarded for their age.
	RecordAgeExceeded int
	// PayloadTooLarge is the number of records discarded for their size.
	PayloadTooLarge int
	// SentToDestination is the number of invocation records sent to
	// OnFailure.
	SentToDestination int
}

// NewKafka returns a mapping of topic at the brokers with Lambda's defaults:
// BatchSize 100, a 500 ms batching window, TRIM_HORIZON, infinite retries,
// no record age limit, eventSource "aws:kafka".
func NewKafka(brokers []string, topics ...string) *Kafka {
	return &Kafka{
		SeedBrokers:               brokers,
		Topics:                    topics,
		BatchSize:                 KafkaDefaultBatchSize,
		MaximumBatchingWindow:     KafkaDefaultBatchingWindow,
		StartingPosition:          TrimHorizon,
		MaximumRetryAttempts:      -1,
		MaximumRecordAgeInSeconds: -1,
		EventSource:               KafkaSourceMSK,
	}
}

// Validate returns a [*KafkaConfigError] for the first setting Lambda would
// refuse.
func (k *Kafka) Validate() error {
	bad := func(setting string, v any, reason string) error {
		return &KafkaConfigError{Setting: setting, Value: v, Reason: reason}
	}
	switch {
	case len(k.SeedBrokers) == 0:
		return bad("SeedBrokers", k.SeedBrokers, "give at least one broker host:port (the bootstrap servers)")
	case len(k.Topics) == 0:
		return bad("Topics", k.Topics, "give the topic to read")
	case k.BatchSize < 0 || k.BatchSize > KafkaMaxBatchSize:
		return bad("BatchSize", k.BatchSize, "Lambda accepts 1 to 10,000 (0 means 100)")
	case k.MaximumBatchingWindow < 0 || k.MaximumBatchingWindow > KafkaMaxBatchingWindow:
		return bad("MaximumBatchingWindowInSeconds", k.MaximumBatchingWindow, "Lambda accepts 0 to 300 seconds")
	case k.MaximumRetryAttempts < -1 || k.MaximumRetryAttempts > KafkaMaxRetryAttempts:
		return bad("MaximumRetryAttempts", k.MaximumRetryAttempts, "Lambda accepts -1 (infinite) or 0 to 10,000")
	case k.MaximumRecordAgeInSeconds > 0 && (k.MaximumRecordAgeInSeconds < 60 || k.MaximumRecordAgeInSeconds > 604800):
		return bad("MaximumRecordAgeInSeconds", k.MaximumRecordAgeInSeconds, "Lambda accepts -1 (no limit) or 60 to 604,800")
	case k.MaximumRecordAgeInSeconds < -1:
		return bad("MaximumRecordAgeInSeconds", k.MaximumRecordAgeInSeconds, "Lambda accepts -1 (no limit) or 60 to 604,800")
	case k.EventSource != "" && k.EventSource != KafkaSourceMSK && k.EventSource != KafkaSourceSelfManaged:
		return bad("EventSource", k.EventSource, `use "aws:kafka" (Amazon MSK) or "SelfManagedKafka"`)
	}
	if d, ok := k.OnFailure.(*KafkaTopicDestination); ok {
		// https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html
		switch {
		case !kafkaTopicName.MatchString(d.Topic):
			return bad("DestinationConfig.OnFailure", "kafka://"+d.Topic, "a Kafka topic name: letters, digits, '-', '_', '.', not starting with '.', at most 249")
		case slices.Contains(k.Topics, d.Topic):
			return bad("DestinationConfig.OnFailure", "kafka://"+d.Topic, "the on-failure topic cannot be a source topic of the mapping (Lambda prevents recursion)")
		}
	}
	switch k.StartingPosition {
	case "", TrimHorizon, Latest:
	case AtTimestamp:
		if k.StartingPositionTimestamp.IsZero() {
			return bad("StartingPositionTimestamp", k.StartingPositionTimestamp, "AT_TIMESTAMP needs a StartingPositionTimestamp")
		}
	default:
		return bad("StartingPosition", k.StartingPosition, "use TRIM_HORIZON, LATEST or AT_TIMESTAMP")
	}
	return nil
}

// Stats returns what the mapping did so far.
func (k *Kafka) Stats() KafkaStats {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stats
}

// Committed returns, per "<topic>-<partition>", the offset committed to the
// consumer group: the next record the mapping would deliver after a restart.
func (k *Kafka) Committed() map[string]int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]int64, len(k.committed))
	for tp, o := range k.committed {
		out[kafkaTopicPartition(tp.topic, tp.partition)] = o
	}
	return out
}

// Close closes the Kafka client.
func (k *Kafka) Close() {
	if k.client != nil {
		k.client.Close()
	}
}

// Poll reads records (up to BatchSize per partition, waiting up to the
// batching window from the first record), or takes the failed batches
// waiting for a retry, and invokes fn with the first pending batch of each
// partition at once (one invocation per partition, as Lambda does; later
// batches of a partition wait for it), applies the responses and commits
// the decided positions. It returns the invocations as [Batch]es, one
// partition each (IDs and Failed are "<topic>-<partition>@<offset>"; Failed
// holds the reported lowest offset), or none when there was nothing to
// deliver. fn must be safe for concurrent use ([Handler], [EmulatorPool]).
// An error means Kafka, the consumer group or the on-failure destination
// failed; the records stay undecided.
func (k *Kafka) Poll(ctx context.Context, fn Function) ([]Batch, error) {
	if err := k.open(ctx); err != nil {
		return nil, err
	}
	for {
		if len(k.queue) == 0 {
			recs, err := k.fetch(ctx)
			if err != nil {
				return nil, err
			}
			if len(recs) == 0 {
				return nil, k.commit(ctx)
			}
			k.queue = append(k.queue, splitByPartition(recs)...)
		}
		// One invocation per partition at once, as Lambda's Kafka pollers
		// do: the first pending batch of each partition runs concurrently
		// with the others; later batches of a partition wait for it.
		picked, rest := k.pick()
		type result struct {
			b       Batch
			invoked bool
			front   []kafkaPending
			err     error
		}
		results := make([]result, len(picked))
		var wg sync.WaitGroup
		for i, p := range picked {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &results[i]
				r.b, r.invoked, r.front, r.err = k.process(ctx, fn, p)
			}()
		}
		wg.Wait()
		var queue []kafkaPending
		var batches []Batch
		var err error
		for _, r := range results {
			queue = append(queue, r.front...)
			if r.invoked {
				batches = append(batches, r.b)
			}
			if err == nil {
				err = r.err
			}
		}
		k.queue = append(queue, rest...)
		if cerr := k.commit(ctx); err == nil {
			err = cerr
		}
		if len(batches) > 0 || err != nil {
			return batches, err
		}
	}
}

// splitByPartition makes one pending batch per partition of recs, in the
// order the partitions first appear.
func splitByPartition(recs []*kgo.Record) []kafkaPending {
	var out []kafkaPending
	at := map[kafkaTP]int{}
	for _, r := range recs {
		tp := kafkaTP{r.Topic, r.Partition}
		i, ok := at[tp]
		if !ok {
			i = len(out)
			at[tp] = i
			out = append(out, kafkaPending{})
		}
		out[i].recs = append(out[i].recs, r)
	}
	return out
}

// pick takes from the queue the first pending batch of each partition
// whose earlier batches are not waiting, and returns them and the rest, in
// order.
func (k *Kafka) pick() (picked, rest []kafkaPending) {
	busy := map[kafkaTP]bool{}
	for _, p := range k.queue {
		free := true
		for _, r := range p.recs {
			if busy[kafkaTP{r.Topic, r.Partition}] {
				free = false
				break
			}
		}
		if free {
			picked = append(picked, p)
		} else {
			rest = append(rest, p)
		}
		for _, r := range p.recs {
			busy[kafkaTP{r.Topic, r.Partition}] = true
		}
	}
	return picked, rest
}

func (k *Kafka) eventSource() string {
	if k.EventSource == "" {
		return KafkaSourceMSK
	}
	return k.EventSource
}

func (k *Kafka) eventSourceARN() string {
	if k.EventSourceARN == "" {
		return "arn:aws:kafka:" + DefaultRegion + ":000000000000:cluster/batchkit-local/00000000-0000-0000-0000-000000000000-1"
	}
	return k.EventSourceARN
}

func (k *Kafka) functionARN() string {
	if k.FunctionARN == "" {
		return "arn:aws:lambda:" + DefaultRegion + ":000000000000:function:function"
	}
	return k.FunctionARN
}

func (k *Kafka) bootstrapServers() string { return strings.Join(k.SeedBrokers, ",") }

func (k *Kafka) groupID() string {
	if k.ConsumerGroupID == "" {
		return "batchkit-driver-" + strings.Join(k.Topics, ",")
	}
	return k.ConsumerGroupID
}

func (k *Kafka) batchSize() int {
	if k.BatchSize == 0 {
		return KafkaDefaultBatchSize
	}
	return k.BatchSize
}

func (k *Kafka) payloadLimit() int {
	if k.MaxPayloadBytes <= 0 {
		return MaxInvocationPayload
	}
	return k.MaxPayloadBytes
}

// maxRetries is the effective MaximumRetryAttempts: -1 for infinite.
func (k *Kafka) maxRetries() int {
	if k.MaximumRetryAttempts < 0 && k.OnFailure != nil {
		return KafkaInfiniteRetriesWithDestination
	}
	return k.MaximumRetryAttempts
}

// open validates the settings, connects, and assigns every partition of the
// topics at the group's committed offset or the starting position.
func (k *Kafka) open(ctx context.Context) error {
	if k.client != nil {
		return nil
	}
	if err := k.Validate(); err != nil {
		return err
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(k.SeedBrokers...)}, k.ClientOptions...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("batchkit/driver: Kafka client for %s: %w", k.bootstrapServers(), err)
	}
	admin := kadm.NewClient(cl)
	details, err := admin.ListTopics(ctx, k.Topics...)
	if err != nil {
		cl.Close()
		return fmt.Errorf("batchkit/driver: list the Kafka topics %v at %s: %w", k.Topics, k.bootstrapServers(), err)
	}
	if d, ok := k.OnFailure.(*KafkaTopicDestination); ok {
		// The destination topic must exist on the mapping's cluster.
		dt, err := admin.ListTopics(ctx, d.Topic)
		if err == nil && (dt[d.Topic].Err != nil || len(dt[d.Topic].Partitions) == 0) {
			err = fmt.Errorf("it does not exist on the mapping's cluster (%s); Lambda requires it on the same cluster as the source topics", k.bootstrapServers())
		}
		if err != nil {
			cl.Close()
			return &KafkaConfigError{Setting: "DestinationConfig.OnFailure", Value: "kafka://" + d.Topic, Reason: err.Error()}
		}
		d.client = cl
	}
	committed, err := admin.FetchOffsets(ctx, k.groupID())
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		cl.Close()
		return fmt.Errorf("batchkit/driver: fetch the offsets of consumer group %s: %w", k.groupID(), err)
	}
	start := kgo.NewOffset().AtStart()
	switch k.StartingPosition {
	case Latest:
		start = kgo.NewOffset().AtEnd()
	case AtTimestamp:
		start = kgo.NewOffset().AfterMilli(k.StartingPositionTimestamp.UnixMilli())
	}
	assign := map[string]map[int32]kgo.Offset{}
	k.next, k.committed = map[kafkaTP]int64{}, map[kafkaTP]int64{}
	for _, topic := range k.Topics {
		d, ok := details[topic]
		if !ok || d.Err != nil || len(d.Partitions) == 0 {
			cl.Close()
			reason := "it does not exist; create it first"
			if ok && d.Err != nil {
				reason = d.Err.Error()
			}
			return fmt.Errorf("batchkit/driver: Kafka topic %q at %s: %s", topic, k.bootstrapServers(), reason)
		}
		assign[topic] = map[int32]kgo.Offset{}
		for p := range d.Partitions {
			at := start
			if o, ok := committed.Lookup(topic, p); ok && o.Err == nil && o.At >= 0 {
				at = kgo.NewOffset().At(o.At)
				k.next[kafkaTP{topic, p}] = o.At
				k.committed[kafkaTP{topic, p}] = o.At
			}
			assign[topic][p] = at
		}
	}
	k.waiting = k.StartingPosition != Latest && k.StartingPosition != AtTimestamp &&
		recordsToRead(ctx, admin, k.Topics, k.next)
	cl.AddConsumePartitions(assign)
	k.client, k.admin = cl, admin
	return nil
}

// recordsToRead reports whether a partition of topics holds records past
// where the mapping reads from: its position in next (a committed offset),
// or else the start of the partition. Errors count as nothing to read.
func recordsToRead(ctx context.Context, admin *kadm.Client, topics []string, next map[kafkaTP]int64) bool {
	ends, err := admin.ListEndOffsets(ctx, topics...)
	if err != nil {
		return false
	}
	starts, err := admin.ListStartOffsets(ctx, topics...)
	if err != nil {
		return false
	}
	found := false
	ends.Each(func(end kadm.ListedOffset) {
		if end.Err != nil {
			return
		}
		pos, ok := next[kafkaTP{end.Topic, end.Partition}]
		if !ok {
			start, ok := starts.Lookup(end.Topic, end.Partition)
			if !ok || start.Err != nil {
				return
			}
			pos = start.Offset
		}
		if pos < end.Offset {
			found = true
		}
	})
	return found
}

// firstFetchWait bounds how long a Poll waits for the first records that
// were already there when the client was opened.
const firstFetchWait = 10 * time.Second

// fetch gathers a new batch: records carried over from the last fetch, then
// records polled until BatchSize, the batching window or the payload limit;
// records Filter drops are counted and skipped.
func (k *Kafka) fetch(ctx context.Context) ([]*kgo.Record, error) {
	// Each partition's records make their own batch (up to BatchSize
	// records and the payload limit); gathering stops when one is full.
	// A record that does not fit, and every later record of its
	// partition, is carried over to the next batch.
	var batch []*kgo.Record
	limit, max := k.payloadLimit(), k.batchSize()
	count, size, blocked := map[kafkaTP]int{}, map[kafkaTP]int{}, map[kafkaTP]bool{}
	full := false
	take := func(r *kgo.Record) bool {
		tp := kafkaTP{r.Topic, r.Partition}
		if blocked[tp] {
			return false
		}
		if k.Filter != nil && !k.Filter.MatchKafka(kafkaLambdaRecord(r)) {
			k.count(func(s *KafkaStats) { s.Filtered++ })
			return true
		}
		n := kafkaRecordSize(r)
		if size[tp] == 0 {
			size[tp] = 256 // the event's own fields
		}
		if count[tp] >= max || (count[tp] > 0 && size[tp]+n > limit) {
			blocked[tp], full = true, true
			return false
		}
		batch = append(batch, r)
		count[tp]++
		size[tp] += n
		return true
	}
	var keep []*kgo.Record
	for _, r := range k.carry {
		if !take(r) {
			keep = append(keep, r)
		}
	}
	k.carry = keep
	// The batching window starts when the first record of the batch
	// arrives, not when Poll is called; until then Poll waits up to
	// IdleWait for one
	// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching).
	began := time.Now()
	var first time.Time
	if len(batch) > 0 {
		first = began
	}
	idle := k.IdleWait
	if idle <= 0 {
		idle = 100 * time.Millisecond
	}
	for !full {
		if len(batch) > 0 && first.IsZero() {
			first = time.Now()
		}
		until := first.Add(k.MaximumBatchingWindow)
		if len(batch) == 0 {
			until = began.Add(idle)
			if k.waiting {
				until = began.Add(firstFetchWait)
				if time.Now().After(until) {
					k.waiting = false // waited once: nothing came
				}
			}
		}
		wait := time.Until(until)
		if wait <= 0 {
			break
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		fetches := k.client.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var ferr error
		fetches.EachError(func(topic string, partition int32, err error) {
			if ferr == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				ferr = fmt.Errorf("batchkit/driver: read Kafka %s-%d: %w", topic, partition, err)
			}
		})
		if ferr != nil {
			return nil, ferr
		}
		recs := fetches.Records()
		if len(recs) > 0 {
			k.waiting = false
		}
		for _, r := range recs {
			k.next[kafkaTP{r.Topic, r.Partition}] = r.Offset + 1
			k.count(func(s *KafkaStats) { s.Records++ })
			if !take(r) {
				k.carry = append(k.carry, r)
			}
		}
	}
	return batch, nil
}

// process invokes the function with a pending batch and decides each
// record: done, retried (maybe bisected) or discarded. It returns the
// invocation (when there was one) and the pending batches that go back to
// the front of the queue, in order. It runs concurrently for batches of
// different partitions.
func (k *Kafka) process(ctx context.Context, fn Function, p kafkaPending) (Batch, bool, []kafkaPending, error) {
	if k.MaximumRecordAgeInSeconds > 0 {
		cutoff := time.Now().Add(-time.Duration(k.MaximumRecordAgeInSeconds) * time.Second)
		var old, young []*kgo.Record
		for _, r := range p.recs {
			if r.Timestamp.Before(cutoff) {
				old = append(old, r)
			} else {
				young = append(young, r)
			}
		}
		if len(old) > 0 {
			if err := k.discard(ctx, old, KafkaRecordAgeExceeded, p.invokes, nil); err != nil {
				return Batch{}, false, []kafkaPending{p}, err
			}
			k.count(func(s *KafkaStats) { s.RecordAgeExceeded += len(old) })
			p.recs = young
		}
	}
	if len(p.recs) == 0 {
		return Batch{}, false, nil, nil
	}
	event, err := buildKafkaEvent(k.eventSource(), k.eventSourceARN(), k.bootstrapServers(), p.recs)
	if err != nil {
		return Batch{}, false, []kafkaPending{p}, err
	}
	if len(event) > k.payloadLimit() {
		if len(p.recs) == 1 {
			if err := k.discard(ctx, p.recs, KafkaMaximumPayloadSizeExceeded, p.invokes, nil); err != nil {
				return Batch{}, false, []kafkaPending{p}, err
			}
			k.count(func(s *KafkaStats) { s.PayloadTooLarge++ })
			return Batch{}, false, nil, nil
		}
		half := len(p.recs) / 2
		return Batch{}, false, []kafkaPending{{recs: p.recs[:half], retries: p.retries, invokes: p.invokes}, {recs: p.recs[half:], retries: p.retries, invokes: p.invokes}}, nil
	}

	b := Batch{Source: k.eventSource(), IDs: make([]string, len(p.recs)), Event: event}
	for i, r := range p.recs {
		b.IDs[i] = kafkaRecordID(r)
	}
	p.invokes++
	k.count(func(s *KafkaStats) {
		s.Invocations++
		if p.retries > 0 {
			s.Retries++
		}
	})
	b.Response, b.Err = fn.Invoke(ctx, event)
	if b.Err == nil && k.ReportBatchItemFailures {
		// Without ReportBatchItemFailures Lambda does not read the
		// response: a successful invocation is a successful batch
		// (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
		b.Failed, b.Err = ParseKafkaResponse(b.Response, b.IDs)
	}

	failed := p.recs
	if b.Err == nil {
		failed = kafkaFailedRecords(p.recs, b.Failed)
		k.count(func(s *KafkaStats) { s.Succeeded += len(p.recs) - len(failed) })
	}
	if len(failed) == 0 {
		return b, true, nil, nil
	}
	if b.Err != nil && k.BisectBatchOnFunctionError && len(failed) > 1 {
		half := len(failed) / 2
		k.count(func(s *KafkaStats) { s.Bisections++ })
		return b, true, []kafkaPending{{recs: failed[:half], retries: p.retries, invokes: p.invokes}, {recs: failed[half:], retries: p.retries, invokes: p.invokes}}, nil
	}
	if max := k.maxRetries(); max >= 0 && p.retries >= max {
		payload := len(event)
		if len(failed) != len(p.recs) {
			if e, err := buildKafkaEvent(k.eventSource(), k.eventSourceARN(), k.bootstrapServers(), failed); err == nil {
				payload = len(e)
			}
		}
		if err := k.discardSized(ctx, failed, KafkaRetryAttemptsExhausted, p.invokes, kafkaResponseContext(b.Err), payload); err != nil {
			// Keep the records undecided: the next Poll sends them again.
			return b, true, []kafkaPending{{recs: failed, retries: p.retries, invokes: p.invokes}}, err
		}
		return b, true, nil, nil
	}
	return b, true, []kafkaPending{{recs: failed, retries: p.retries + 1, invokes: p.invokes}}, nil
}

// kafkaFailedRecords returns the records of the reported partitions from
// their reported offset on.
func kafkaFailedRecords(recs []*kgo.Record, failed []string) []*kgo.Record {
	if len(failed) == 0 {
		return nil
	}
	from := make(map[string]int64, len(failed))
	for _, id := range failed {
		i := strings.LastIndexByte(id, '@')
		o, _ := strconv.ParseInt(id[i+1:], 10, 64)
		from[id[:i]] = o
	}
	var out []*kgo.Record
	for _, r := range recs {
		if o, ok := from[kafkaTopicPartition(r.Topic, r.Partition)]; ok && r.Offset >= o {
			out = append(out, r)
		}
	}
	return out
}

// discard sends the invocation record of discarded records to OnFailure.
func (k *Kafka) discard(ctx context.Context, recs []*kgo.Record, condition string, invokes int, resp *KafkaResponseContext) error {
	event, err := buildKafkaEvent(k.eventSource(), k.eventSourceARN(), k.bootstrapServers(), recs)
	if err != nil {
		return err
	}
	return k.discardSized(ctx, recs, condition, invokes, resp, len(event))
}

func (k *Kafka) discardSized(ctx context.Context, recs []*kgo.Record, condition string, invokes int, resp *KafkaResponseContext, payload int) error {
	if k.OnFailure != nil {
		rec := newKafkaInvocationRecord(k, recs, condition, invokes, resp, payload, time.Now())
		f, err := k.kafkaFailure(recs, rec)
		if err != nil {
			return err
		}
		if err := k.OnFailure.Send(ctx, f); err != nil {
			return err
		}
		k.count(func(s *KafkaStats) { s.SentToDestination++ })
	}
	k.count(func(s *KafkaStats) { s.Discarded += len(recs) })
	return nil
}

// commit commits, for every partition, the lowest offset not decided yet:
// the oldest record waiting in a batch or carried over, else the next one to
// read.
func (k *Kafka) commit(ctx context.Context) error {
	low := make(map[kafkaTP]int64, len(k.next))
	for tp, o := range k.next {
		low[tp] = o
	}
	note := func(r *kgo.Record) {
		tp := kafkaTP{r.Topic, r.Partition}
		if o, ok := low[tp]; !ok || r.Offset < o {
			low[tp] = r.Offset
		}
	}
	for _, p := range k.queue {
		for _, r := range p.recs {
			note(r)
		}
	}
	for _, r := range k.carry {
		note(r)
	}
	offsets := kadm.Offsets{}
	var changed []kafkaTP
	for tp, o := range low {
		if c, ok := k.committed[tp]; ok && c == o {
			continue
		}
		offsets.Add(kadm.Offset{Topic: tp.topic, Partition: tp.partition, At: o, LeaderEpoch: -1})
		changed = append(changed, tp)
	}
	if len(changed) == 0 {
		return nil
	}
	resp, err := k.admin.CommitOffsets(ctx, k.groupID(), offsets)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("batchkit/driver: commit offsets to consumer group %s: %w", k.groupID(), err)
	}
	k.mu.Lock()
	for _, tp := range changed {
		k.committed[tp] = low[tp]
	}
	k.mu.Unlock()
	return nil
}

func (k *Kafka) count(f func(*KafkaStats)) {
	k.mu.Lock()
	f(&k.stats)
	k.mu.Unlock()
}
