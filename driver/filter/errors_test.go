package filter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver/filter"
)

// A pattern Lambda would refuse is a *PatternError naming the pattern, the
// place in it and the problem.
func TestNewRejectsInvalidPatterns(t *testing.T) {
	cases := []struct {
		name, pattern, path, reason string
	}{
		{"not JSON", `{"a": [1]`, "", "not valid JSON"},
		{"trailing data", `{"a": [1]} x`, "", "not valid JSON"},
		{"not an object", `["a"]`, "", "must be a JSON object"},
		{"bare value", `{"a": "x"}`, "a", "must be a list of values"},
		{"bare value nested", `{"body": {"a": 1}}`, "body.a", "must be a list of values"},
		{"list in a list", `{"a": [["x"]]}`, "a[0]", "cannot hold a list"},
		{"two operators", `{"a": [{"prefix": "x", "suffix": "y"}]}`, "a[0]", "exactly one key"},
		{"unknown operator", `{"a": [{"contains": "x"}]}`, "a[0].contains", "unknown operator"},
		{"exists not boolean", `{"a": [{"exists": "yes"}]}`, "a[0].exists", "true or false"},
		{"prefix not string", `{"a": [{"prefix": 1}]}`, "a[0].prefix", "takes a string"},
		{"suffix bad object", `{"a": [{"suffix": {"x": "y"}}]}`, "a[0].suffix", "equals-ignore-case"},
		{"equals-ignore-case not string", `{"a": [{"equals-ignore-case": 1}]}`, "a[0].equals-ignore-case", "takes a string"},
		{"wildcard double star", `{"a": [{"wildcard": "a**b"}]}`, "a[0].wildcard", "two stars"},
		{"wildcard bad escape", `{"a": [{"wildcard": "a\\b"}]}`, "a[0].wildcard", "backslash"},
		{"cidr invalid", `{"a": [{"cidr": "10.0.0.0/99"}]}`, "a[0].cidr", "IP prefix"},
		{"numeric not a list", `{"a": [{"numeric": 5}]}`, "a[0].numeric", "takes"},
		{"numeric odd list", `{"a": [{"numeric": [">", 1, "<"]}]}`, "a[0].numeric", "takes"},
		{"numeric bad operator", `{"a": [{"numeric": ["!=", 1]}]}`, "a[0].numeric", "unknown numeric operator"},
		{"numeric string operand", `{"a": [{"numeric": [">", "1"]}]}`, "a[0].numeric", "followed by a number"},
		{"numeric two lower bounds", `{"a": [{"numeric": [">", 1, ">=", 2]}]}`, "a[0].numeric", "one lower bound"},
		{"numeric equals in a range", `{"a": [{"numeric": ["=", 1, "<", 2]}]}`, "a[0].numeric", "cannot be combined"},
		{"numeric empty range", `{"a": [{"numeric": [">", 5, "<", 1]}]}`, "a[0].numeric", "matches no number"},
		{"anything-but mixed list", `{"a": [{"anything-but": ["x", 1]}]}`, "a[0].anything-but", "strings only or of numbers only"},
		{"anything-but empty list", `{"a": [{"anything-but": []}]}`, "a[0].anything-but", "at least one value"},
		{"anything-but boolean", `{"a": [{"anything-but": true}]}`, "a[0].anything-but", "takes a string"},
		{"anything-but numeric", `{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, "a[0].anything-but.numeric", "cannot hold"},
		{"anything-but prefix list", `{"a": [{"anything-but": {"prefix": ["x"]}}]}`, "a[0].anything-but.prefix", "takes a string"},
		{"$or not a list", `{"$or": {"a": [1]}}`, "$or", "at least two"},
		{"$or one alternative", `{"$or": [{"a": [1]}]}`, "$or", "at least two"},
		{"$or alternative not an object", `{"$or": [{"a": [1]}, ["b"]]}`, "$or[1]", "pattern object"},
		{"$or invalid alternative", `{"$or": [{"a": [1]}, {"b": 2}]}`, "$or[1].b", "must be a list"},
		{"too long", `{"a": ["` + strings.Repeat("x", filter.MaxPatternLength) + `"]}`, "", "at most 4096"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := filter.New(`{"ok": ["fine"]}`, tc.pattern)
			require.Error(t, err)
			require.ErrorIs(t, err, filter.ErrInvalidPattern)
			var pe *filter.PatternError
			require.True(t, errors.As(err, &pe))
			require.Equal(t, 1, pe.Index)
			require.Equal(t, tc.pattern, pe.Pattern)
			require.Equal(t, tc.path, pe.Path)
			require.Contains(t, pe.Reason, tc.reason)
			require.Contains(t, err.Error(), "filter pattern 1")
			require.Contains(t, err.Error(), pe.Reason)
		})
	}
}

// An account has 5 filters per mapping by default and 10 after a quota
// increase: New takes 5, Compile takes the quota.
func TestNewRejectsTooManyFilters(t *testing.T) {
	patterns := make([]string, filter.MaxFilters+1)
	for i := range patterns {
		patterns[i] = fmt.Sprintf(`{"a": [%d]}`, i)
	}
	_, err := filter.New(patterns[:filter.DefaultQuota+1]...)
	require.ErrorIs(t, err, filter.ErrTooManyFilters)
	require.Contains(t, err.Error(), "6 filters, the quota is 5")
	c, err := filter.New(patterns[:filter.DefaultQuota]...)
	require.NoError(t, err)
	require.Equal(t, filter.DefaultQuota, c.Len())

	c, err = filter.Compile(filter.Options{Quota: filter.MaxFilters}, patterns[:filter.MaxFilters]...)
	require.NoError(t, err)
	require.Equal(t, filter.MaxFilters, c.Len())
	_, err = filter.Compile(filter.Options{Quota: filter.MaxFilters}, patterns...)
	require.ErrorIs(t, err, filter.ErrTooManyFilters)
	_, err = filter.Compile(filter.Options{Quota: filter.MaxFilters + 1}, patterns[:1]...)
	require.ErrorIs(t, err, filter.ErrTooManyFilters, "no quota goes over 10")
}

// Lambda refuses a pattern holding an empty list when the mapping is
// created ({"a": []} would match nothing).
func TestNewRejectsEmptyList(t *testing.T) {
	for _, p := range []string{`{"a": []}`, `{"body": {"x": {"y": []}}}`, `{"$or": [{"a": [1]}, {"b": []}]}`} {
		_, err := filter.New(p)
		var pe *filter.PatternError
		require.ErrorAs(t, err, &pe, p)
		require.Contains(t, pe.Reason, "empty list")
	}
}

// The length limit, 4096, counts characters: a pattern of 4096 characters
// of which many take several bytes in UTF-8 is accepted, one more is not.
func TestPatternLengthCountsCharacters(t *testing.T) {
	pattern := func(chars int) string {
		head, tail := `{"a": ["`, `"]}`
		return head + strings.Repeat("é", chars-len(head)-len(tail)) + tail
	}
	p := pattern(filter.MaxPatternLength)
	require.Greater(t, len(p), filter.MaxPatternLength, "more bytes than the limit")
	_, err := filter.New(p)
	require.NoError(t, err)
	_, err = filter.New(pattern(filter.MaxPatternLength + 1))
	require.ErrorIs(t, err, filter.ErrInvalidPattern)
	require.Contains(t, err.Error(), "4097 characters")
}

// Compile applies the source's rules in the same call: a list of values
// under "data" (Kinesis) or "dynamodb" is refused there, not for SQS.
func TestCompileValidatesForTheSource(t *testing.T) {
	_, err := filter.Compile(filter.Options{Source: "aws:kinesis"}, `{"data": ["x"]}`)
	require.ErrorIs(t, err, filter.ErrInvalidPattern)
	_, err = filter.Compile(filter.Options{Source: "aws:dynamodb"}, `{"dynamodb": ["x"]}`)
	require.ErrorIs(t, err, filter.ErrInvalidPattern)
	_, err = filter.Compile(filter.Options{Source: "aws:sqs"}, `{"data": ["x"]}`)
	require.NoError(t, err)
	_, err = filter.Compile(filter.Options{Source: "aws:kinesis"}, `{"data": {"x": ["y"]}}`)
	require.NoError(t, err)
}

func TestMustNewPanicsOnInvalidPattern(t *testing.T) {
	require.Panics(t, func() { filter.MustNew(`{"a": "x"}`) })
}
