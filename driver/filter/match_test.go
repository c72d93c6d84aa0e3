package filter_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver/filter"
)

// decode decodes a JSON object the way a record is matched: numbers keep
// their JSON text.
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var m map[string]any
	require.NoError(t, d.Decode(&m))
	return m
}

type matchCase struct {
	name    string
	pattern string
	record  string
	want    bool
}

func runMatch(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := filter.New(tc.pattern)
			require.NoError(t, err)
			require.Equal(t, tc.want, c.Match(decode(t, tc.record)), "pattern %s on %s", tc.pattern, tc.record)
		})
	}
}

// The comparison operators of Lambda's "Filter rule syntax" table, each with
// the documentation's own example rule.
func TestMatchDocumentedOperators(t *testing.T) {
	runMatch(t, []matchCase{
		{"null matches null", `{"UserID": [null]}`, `{"UserID": null}`, true},
		{"null does not match a string", `{"UserID": [null]}`, `{"UserID": "u1"}`, false},
		{"null does not match an absent field", `{"UserID": [null]}`, `{}`, false},
		{"empty matches the empty string", `{"LastName": [""]}`, `{"LastName": ""}`, true},
		{"empty does not match a name", `{"LastName": [""]}`, `{"LastName": "Doe"}`, false},
		{"equals", `{"Name": ["Alice"]}`, `{"Name": "Alice"}`, true},
		{"equals is case sensitive", `{"Name": ["Alice"]}`, `{"Name": "alice"}`, false},
		{"equals ignore case", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "ALICE"}`, true},
		{"equals ignore case other name", `{"Name": [{"equals-ignore-case": "alice"}]}`, `{"Name": "Bob"}`, false},
		{"and: both fields", `{"Location": ["New York"], "Day": ["Monday"]}`, `{"Location": "New York", "Day": "Monday"}`, true},
		{"and: one field differs", `{"Location": ["New York"], "Day": ["Monday"]}`, `{"Location": "New York", "Day": "Tuesday"}`, false},
		{"and: one field absent", `{"Location": ["New York"], "Day": ["Monday"]}`, `{"Location": "New York"}`, false},
		{"or: one value", `{"PaymentType": ["Credit", "Debit"]}`, `{"PaymentType": "Debit"}`, true},
		{"or: no value", `{"PaymentType": ["Credit", "Debit"]}`, `{"PaymentType": "Cash"}`, false},
		{"$or: first alternative", `{"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}`, `{"Location": "New York", "Day": "Friday"}`, true},
		{"$or: second alternative", `{"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}`, `{"Location": "Boston", "Day": "Monday"}`, true},
		{"$or: none", `{"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}`, `{"Location": "Boston", "Day": "Friday"}`, false},
		{"$or with a common field", `{"Type": ["order"], "$or": [{"Total": [{"numeric": [">", 100]}]}, {"Priority": ["high"]}]}`, `{"Type": "order", "Total": 50, "Priority": "high"}`, true},
		{"$or with a common field that fails", `{"Type": ["order"], "$or": [{"Total": [{"numeric": [">", 100]}]}, {"Priority": ["high"]}]}`, `{"Type": "refund", "Total": 500}`, false},
		{"not: other weather", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{"Weather": "Sunny"}`, true},
		{"not: the excluded value", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{"Weather": "Raining"}`, false},
		{"not: absent field", `{"Weather": [{"anything-but": ["Raining"]}]}`, `{}`, false},
		{"numeric equals", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": 100}`, true},
		{"numeric equals another form of the number", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": 1.0e2}`, true},
		{"numeric equals other number", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": 101}`, false},
		{"numeric does not match a string", `{"Price": [{"numeric": ["=", 100]}]}`, `{"Price": "100"}`, false},
		{"numeric range inside", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 20}`, true},
		{"numeric range lower bound excluded", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 10}`, false},
		{"numeric range above", `{"Price": [{"numeric": [">", 10, "<=", 20]}]}`, `{"Price": 20.5}`, false},
		{"numeric >=", `{"Price": [{"numeric": [">=", 10]}]}`, `{"Price": 10}`, true},
		{"numeric <", `{"Price": [{"numeric": ["<", 10]}]}`, `{"Price": -3.5}`, true},
		{"exists", `{"ProductName": [{"exists": true}]}`, `{"ProductName": "Widget"}`, true},
		{"exists on absent", `{"ProductName": [{"exists": true}]}`, `{"Other": 1}`, false},
		{"does not exist", `{"ProductName": [{"exists": false}]}`, `{"Other": 1}`, true},
		{"does not exist on present", `{"ProductName": [{"exists": false}]}`, `{"ProductName": "Widget"}`, false},
		{"begins with", `{"Region": [{"prefix": "us-"}]}`, `{"Region": "us-east-1"}`, true},
		{"begins with other", `{"Region": [{"prefix": "us-"}]}`, `{"Region": "eu-west-1"}`, false},
		{"begins with ignoring case", `{"Region": [{"prefix": {"equals-ignore-case": "US-"}}]}`, `{"Region": "us-east-1"}`, true},
		{"ends with", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.png"}`, true},
		{"ends with other", `{"FileName": [{"suffix": ".png"}]}`, `{"FileName": "image.jpg"}`, false},
		{"ends with ignoring case", `{"FileName": [{"suffix": {"equals-ignore-case": ".PNG"}}]}`, `{"FileName": "image.png"}`, true},
		{"wildcard", `{"FileName": [{"wildcard": "dir/*.png"}]}`, `{"FileName": "dir/image.png"}`, true},
		{"wildcard other dir", `{"FileName": [{"wildcard": "dir/*.png"}]}`, `{"FileName": "other/image.png"}`, false},
		{"wildcard escaped star", `{"FileName": [{"wildcard": "a\\*b"}]}`, `{"FileName": "a*b"}`, true},
		{"wildcard escaped star is literal", `{"FileName": [{"wildcard": "a\\*b"}]}`, `{"FileName": "axb"}`, false},
		{"wildcard several stars", `{"Key": [{"wildcard": "*/2024/*/report-*"}]}`, `{"Key": "logs/2024/05/report-7.csv"}`, true},
		{"anything-but prefix", `{"State": [{"anything-but": {"prefix": "init"}}]}`, `{"State": "running"}`, true},
		{"anything-but prefix excluded", `{"State": [{"anything-but": {"prefix": "init"}}]}`, `{"State": "initializing"}`, false},
		{"anything-but suffix", `{"FileName": [{"anything-but": {"suffix": ".tmp"}}]}`, `{"FileName": "a.txt"}`, true},
		{"anything-but suffix excluded", `{"FileName": [{"anything-but": {"suffix": ".tmp"}}]}`, `{"FileName": "a.tmp"}`, false},
		{"anything-but equals-ignore-case", `{"Color": [{"anything-but": {"equals-ignore-case": ["red", "blue"]}}]}`, `{"Color": "BLUE"}`, false},
		{"anything-but equals-ignore-case other", `{"Color": [{"anything-but": {"equals-ignore-case": ["red", "blue"]}}]}`, `{"Color": "green"}`, true},
		{"anything-but wildcard", `{"Key": [{"anything-but": {"wildcard": "tmp/*"}}]}`, `{"Key": "tmp/x"}`, false},
		{"anything-but numbers", `{"Limit": [{"anything-but": [100, 200, 300]}]}`, `{"Limit": 150}`, true},
		{"anything-but numbers excluded", `{"Limit": [{"anything-but": [100, 200, 300]}]}`, `{"Limit": 200}`, false},
		{"anything-but a single string", `{"State": [{"anything-but": "initializing"}]}`, `{"State": "initializing"}`, false},
		{"cidr inside", `{"SourceIP": [{"cidr": "10.0.0.0/24"}]}`, `{"SourceIP": "10.0.0.7"}`, true},
		{"cidr outside", `{"SourceIP": [{"cidr": "10.0.0.0/24"}]}`, `{"SourceIP": "10.0.1.7"}`, false},
		{"boolean", `{"Active": [true]}`, `{"Active": true}`, true},
		{"boolean is not its string", `{"Active": [true]}`, `{"Active": "true"}`, false},
	})
}

// Lambda's note: strings match character by character, and numbers by their
// string representation: 300, 300.0 and 3.0e2 are not equal.
func TestMatchExactNumbersByText(t *testing.T) {
	runMatch(t, []matchCase{
		{"same text", `{"a": [300]}`, `{"a": 300}`, true},
		{"300.0", `{"a": [300]}`, `{"a": 300.0}`, false},
		{"3.0e2", `{"a": [300]}`, `{"a": 3.0e2}`, false},
		{"string", `{"a": [300]}`, `{"a": "300"}`, false},
		{"string pattern on number", `{"a": ["300"]}`, `{"a": 300}`, false},
	})
}

// The documentation's examples: Kinesis data and metadata, a numeric range on
// a data property, multi-level DynamoDB keys, the console's {"a": [1, 2]}.
func TestMatchDocumentedExamples(t *testing.T) {
	runMatch(t, []matchCase{
		{"partitionKey and Location", `{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`, `{"partitionKey": "1", "data": {"Location": "Los Angeles"}}`, true},
		{"partitionKey and other Location", `{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`, `{"partitionKey": "1", "data": {"Location": "Seattle"}}`, false},
		{"Temperature in range", `{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`, `{"data": {"Temperature": 55}}`, true},
		{"Temperature out of range", `{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`, `{"data": {"Temperature": 61}}`, false},
		{"Temperature as a string", `{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`, `{"data": {"Temperature": "55"}}`, false},
		{"multi-level keys", `{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`, `{"dynamodb": {"Keys": {"Id": {"N": "101"}}, "SequenceNumber": "111"}}`, true},
		{"multi-level keys other id", `{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`, `{"dynamodb": {"Keys": {"Id": {"N": "102"}}}}`, false},
		{"console a is 1", `{"a": [1, 2]}`, `{"a": 1}`, true},
		{"console a is 3", `{"a": [1, 2]}`, `{"a": 3}`, false},
		{"fields not in the pattern are ignored", `{"a": [1, 2]}`, `{"a": 2, "b": "anything"}`, true},
	})
}

// Arrays in the record: a list matches when any element matches, objects in
// arrays are followed, and exists looks at leaf values only.
func TestMatchArraysAndLeaves(t *testing.T) {
	runMatch(t, []matchCase{
		{"any element", `{"tags": ["b"]}`, `{"tags": ["a", "b"]}`, true},
		{"no element", `{"tags": ["c"]}`, `{"tags": ["a", "b"]}`, false},
		{"empty array does not exist", `{"tags": [{"exists": false}]}`, `{"tags": []}`, true},
		{"array exists", `{"tags": [{"exists": true}]}`, `{"tags": ["a"]}`, true},
		{"anything-but on an array", `{"tags": [{"anything-but": "a"}]}`, `{"tags": ["a", "b"]}`, true},
		{"anything-but on an array of the value", `{"tags": [{"anything-but": "a"}]}`, `{"tags": ["a", "a"]}`, false},
		{"objects in an array", `{"items": {"sku": ["X1"]}}`, `{"items": [{"sku": "A"}, {"sku": "X1"}]}`, true},
		{"objects in an array, none", `{"items": {"sku": ["X1"]}}`, `{"items": [{"sku": "A"}]}`, false},
		{"one element holds both fields", `{"items": {"sku": ["X1"], "qty": [2]}}`, `{"items": [{"sku": "X1", "qty": 1}, {"sku": "A", "qty": 2}]}`, false},
		{"numeric in an array", `{"n": [{"numeric": [">", 5]}]}`, `{"n": [1, 7]}`, true},
		// EventBridge's example: exists works on leaf nodes only.
		{"exists false on an object", `{"detail": {"c-count": [{"exists": false}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, true},
		{"exists true on an object", `{"detail": {"c-count": [{"exists": true}]}}`, `{"detail": {"c-count": {"c1": 100}}}`, false},
		{"exists false under an absent object", `{"detail": {"c-count": [{"exists": false}]}}`, `{"other": 1}`, true},
		{"nested pattern on a string", `{"detail": {"state": ["x"]}}`, `{"detail": "x"}`, false},
		{"list on an object", `{"detail": ["x"]}`, `{"detail": {"x": 1}}`, false},
		{"null exists", `{"a": [{"exists": true}]}`, `{"a": null}`, true},
		{"empty pattern matches everything", `{}`, `{"a": 1}`, true},
	})
}

// Several patterns are ORed; no pattern keeps every record.
func TestCriteriaOrsPatterns(t *testing.T) {
	c, err := filter.New(`{"a": [1]}`, `{"b": [2]}`)
	require.NoError(t, err)
	require.True(t, c.Match(decode(t, `{"a": 1}`)))
	require.True(t, c.Match(decode(t, `{"b": 2}`)))
	require.False(t, c.Match(decode(t, `{"a": 2, "b": 1}`)))
	require.Equal(t, 2, c.Len())
	require.Equal(t, []string{`{"a": [1]}`, `{"b": [2]}`}, c.Patterns())

	none, err := filter.New()
	require.NoError(t, err)
	require.True(t, none.Match(decode(t, `{"a": 1}`)))
	var nilCriteria *filter.Criteria
	require.True(t, nilCriteria.Match(nil))
}

// Match accepts records built in Go: numbers of any Go type and values that
// encode to JSON.
func TestMatchGoValues(t *testing.T) {
	c := filter.MustNew(`{"n": [{"numeric": [">=", 10]}], "id": [7], "tags": ["x"], "f": [2.5]}`)
	require.True(t, c.Match(map[string]any{"n": 10, "id": int64(7), "tags": []string{"x"}, "f": 2.5}))
	require.True(t, c.Match(map[string]any{"n": float32(11), "id": uint8(7), "tags": []any{"x"}, "f": float64(2.5)}))
	require.False(t, c.Match(map[string]any{"n": 9.99, "id": 7, "tags": []string{"x"}, "f": 2.5}))
	type item struct {
		Name string `json:"name"`
	}
	require.True(t, filter.MustNew(`{"item": {"name": ["a"]}}`).Match(map[string]any{"item": item{Name: "a"}}))
}
