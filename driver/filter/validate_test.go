package filter_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver/filter"
)

// Lambda refuses, when the mapping is created, a stream filter whose data
// pattern is not a JSON object.
func TestValidateFor(t *testing.T) {
	cases := []struct {
		name, source, pattern, path string
	}{
		{"kinesis JSON data", "aws:kinesis", `{"data": {"a": [1]}}`, ""},
		{"kinesis metadata only", "aws:kinesis", `{"partitionKey": ["1"]}`, ""},
		{"kinesis plain data", "aws:kinesis", `{"data": [{"prefix": "x"}]}`, "data"},
		{"kinesis plain data in $or", "aws:kinesis", `{"$or": [{"partitionKey": ["1"]}, {"data": ["x"]}]}`, "$or[1].data"},
		{"dynamodb plain", "aws:dynamodb", `{"dynamodb": [{"exists": true}]}`, "dynamodb"},
		{"dynamodb nested", "aws:dynamodb", `{"dynamodb": {"Keys": {"Id": {"N": ["1"]}}}}`, ""},
		{"sqs plain body is fine", "aws:sqs", `{"body": ["x"]}`, ""},
		{"kafka plain value is fine", "aws:kafka", `{"value": ["x"]}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := filter.MustNew(`{"eventName": ["INSERT"]}`, tc.pattern)
			err := c.ValidateFor(tc.source)
			if tc.path == "" {
				require.NoError(t, err)
				return
			}
			var pe *filter.PatternError
			require.True(t, errors.As(err, &pe))
			require.ErrorIs(t, err, filter.ErrInvalidPattern)
			require.Equal(t, 1, pe.Index)
			require.Equal(t, tc.path, pe.Path)
		})
	}
	var none *filter.Criteria
	require.NoError(t, none.ValidateFor("aws:kinesis"))
}
