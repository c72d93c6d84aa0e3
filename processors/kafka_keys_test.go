package processors

import (
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"
)

// TestTopicPartitionKeys: the remembering key function gives what
// TopicPartition gives for any sequence of records, alone or from several
// goroutines at once, and shares one string between the records of a
// partition.
func TestTopicPartitionKeys(t *testing.T) {
	recs := []events.KafkaRecord{
		{Topic: "orders", Partition: 0}, {Topic: "orders", Partition: 0},
		{Topic: "orders", Partition: 1}, {Topic: "orders-1", Partition: 0},
		{Topic: "orders", Partition: 1}, {Topic: "", Partition: 1},
		{Topic: "order", Partition: 10}, {Topic: "orders", Partition: 0},
		{Topic: "ordert", Partition: 0}, {Topic: "o", Partition: -3},
	}
	tests := []struct {
		name string
		run  func(t *testing.T, c *topicPartitionKeys)
	}{
		{"sequential", func(t *testing.T, c *topicPartitionKeys) {
			for i := range recs {
				require.Equal(t, TopicPartition(&recs[i]), c.of(&recs[i]), "record %d", i)
			}
		}},
		{"concurrent", func(t *testing.T, c *topicPartitionKeys) {
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					for n := range 200 {
						i := (n*7 + g) % len(recs)
						if got, want := c.of(&recs[i]), TopicPartition(&recs[i]); got != want {
							t.Errorf("record %d: got %q, want %q", i, got, want)
						}
					}
				})
			}
			wg.Wait()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, new(topicPartitionKeys)) })
	}
	c := new(topicPartitionKeys)
	r := events.KafkaRecord{Topic: "orders", Partition: 4}
	first := c.of(&r)
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = c.of(&r) }), "a partition's records share its key")
	require.Equal(t, "orders-4", first)
}

// TestKafkaRecordsKeepsOrderedPartitions: partitions already in offset order
// (duplicates included) keep their order; others are sorted stably.
func TestKafkaRecordsKeepsOrderedPartitions(t *testing.T) {
	ev := events.KafkaEvent{Records: map[string][]events.KafkaRecord{
		"a-0": {{Topic: "a", Offset: 1, Key: "x"}, {Topic: "a", Offset: 1, Key: "y"}, {Topic: "a", Offset: 2}},
		"a-1": {{Topic: "a", Partition: 1, Offset: 3, Key: "p"}, {Topic: "a", Partition: 1, Offset: 2}, {Topic: "a", Partition: 1, Offset: 3, Key: "q"}},
	}}
	var got []string
	for _, r := range KafkaRecords(ev) {
		got = append(got, TopicPartition(&r)+"@"+string(rune('0'+r.Offset))+r.Key)
	}
	require.Equal(t, []string{"a-0@1x", "a-0@1y", "a-0@2", "a-1@2", "a-1@3p", "a-1@3q"}, got)
}
