package raw

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// TopicPartition returns "<topic>-<partition>", the key Lambda groups a Kafka
// record under and reports it by.
func TopicPartition(r *events.KafkaRecord) string {
	if r.Topic == "" {
		return ""
	}
	return r.Topic + "-" + strconv.FormatInt(r.Partition, 10)
}

// OffsetsAscending reports whether recs are in non-decreasing offset order
// (a stable sort would leave them as they are).
func OffsetsAscending(recs []events.KafkaRecord) bool {
	for i := 1; i < len(recs); i++ {
		if recs[i].Offset < recs[i-1].Offset {
			return false
		}
	}
	return true
}

// CompareTopicPartitions orders "<topic>-<partition>" keys by topic, then
// by partition number; a key that does not end in a number sorts as a topic
// of its own (before its partitions, if any). Comparing derived tuples keeps
// the order total.
func CompareTopicPartitions(a, b string) int {
	ta, pa := SplitTopicPartition(a)
	tb, pb := SplitTopicPartition(b)
	return cmp.Or(strings.Compare(ta, tb), cmp.Compare(pa, pb), strings.Compare(a, b))
}

// SplitTopicPartition returns the topic and partition of key, or key and
// -1 when it does not end in "-<number>".
func SplitTopicPartition(key string) (string, int64) {
	i := strings.LastIndexByte(key, '-')
	if i < 0 {
		return key, -1
	}
	p, err := strconv.ParseInt(key[i+1:], 10, 64)
	if err != nil || p < 0 {
		return key, -1
	}
	return key[:i], p
}

// CompareOwnPartitions orders Kafka records by their own topic, partition
// and offset: the order in which a partition's records must be handled.
func CompareOwnPartitions(a, b *events.KafkaRecord) int {
	return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
}

// OwnPartitionsSorted reports whether recs, laid out by the event's keys,
// are already in [CompareOwnPartitions] order. A record filed under a key
// that is not its own topic-partition breaks it; a record without a topic
// (under a key that names none) is left where its key put it.
func OwnPartitionsSorted(recs []events.KafkaRecord) bool {
	var last *events.KafkaRecord
	for i := range recs {
		r := &recs[i]
		if r.Topic == "" {
			continue
		}
		if last != nil && CompareOwnPartitions(last, r) > 0 {
			return false
		}
		last = r
	}
	return true
}

// SortOwnPartitions reorders recs stably by [CompareOwnPartitions] and
// returns, for each new position, the record's old position.
func SortOwnPartitions(recs []events.KafkaRecord) []int {
	perm := make([]int, len(recs))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int { return CompareOwnPartitions(&recs[a], &recs[b]) })
	sorted := make([]events.KafkaRecord, len(recs))
	for i, j := range perm {
		sorted[i] = recs[j]
	}
	copy(recs, sorted)
	return perm
}
