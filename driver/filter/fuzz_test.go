package filter_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/driver/filter"
)

// FuzzCriteria: no pattern and no record makes New or a Match method panic,
// and a pattern New accepts gives the same answer twice.
func FuzzCriteria(f *testing.F) {
	seeds := [][2]string{
		{`{"body": {"RequestCode": ["BBBB"]}}`, `{"RequestCode": "BBBB"}`},
		{`{"a": [{"numeric": [">", 1, "<=", 5]}]}`, `{"a": [1, 3, "x"]}`},
		{`{"$or": [{"a": [null]}, {"b": [{"exists": false}]}]}`, `{"a": {"b": 1}}`},
		{`{"a": [{"wildcard": "*x\\*y*"}]}`, `{"a": "zx*yz"}`},
		{`{"a": [{"anything-but": {"prefix": "p"}}]}`, `{"a": ["p1", 2]}`},
		{`{"value": [{"cidr": "10.0.0.0/8"}]}`, `not json`},
		{`{"a": {"b": {"c": [{"suffix": {"equals-ignore-case": "Z"}}]}}}`, `{"a": [{"b": [{"c": "xz"}]}]}`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, record string) {
		c, err := filter.New(pattern)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal([]byte(record), &m) == nil {
			first, second := c.Match(m), c.Match(m)
			if first != second {
				t.Fatal("Match is not deterministic")
			}
		}
		c.MatchSQS(events.SQSMessage{Body: record})
		c.MatchKinesis(events.KinesisEventRecord{Kinesis: events.KinesisRecord{Data: []byte(record)}})
		c.MatchKafka(events.KafkaRecord{Value: base64.StdEncoding.EncodeToString([]byte(record))})
		c.MatchKafka(events.KafkaRecord{Value: record})
		c.MatchDynamoDB(events.DynamoDBEventRecord{EventName: record})
	})
}
