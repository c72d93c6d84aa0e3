package filter

import (
	"errors"
	"fmt"
)

// ErrInvalidPattern matches, with errors.Is, every [*PatternError].
var ErrInvalidPattern = errors.New("batchkit/driver/filter: invalid filter pattern")

// ErrTooManyFilters matches (errors.Is) the error of [New] and [Compile] for
// more patterns than the quota of filters per event source mapping, which
// Lambda refuses when the mapping is created.
var ErrTooManyFilters = errors.New("batchkit/driver/filter: more filters than the quota of filters per event source mapping")

// DefaultQuota is the filters per event source mapping an account has by
// default, 5 (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
const DefaultQuota = 5

// MaxFilters is the most filters per event source mapping a quota increase
// gives, 10.
const MaxFilters = 10

// MaxPatternLength is the longest pattern Lambda accepts, in characters
// (Filter.Pattern's length constraint, counted in Unicode characters, not
// bytes: https://docs.aws.amazon.com/lambda/latest/api/API_Filter.html).
const MaxPatternLength = 4096

// PatternError is a filter pattern that Lambda would refuse.
type PatternError struct {
	// Index is the pattern's position in the arguments of [New].
	Index int
	// Pattern is the pattern as given.
	Pattern string
	// Path is where in the pattern the problem is, as JSON keys joined by
	// dots ("body.RequestCode"), empty for the whole pattern.
	Path string
	// Reason says what is wrong.
	Reason string
}

// Error names the pattern, the place in it and the problem.
func (e *PatternError) Error() string {
	where := "the pattern"
	if e.Path != "" {
		where = fmt.Sprintf("%q", e.Path)
	}
	return fmt.Sprintf("batchkit/driver/filter: filter pattern %d %s is invalid at %s: %s (see https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html)",
		e.Index, truncate(e.Pattern), where, e.Reason)
}

// Is matches [ErrInvalidPattern].
func (e *PatternError) Is(target error) bool { return target == ErrInvalidPattern }

func truncate(s string) string {
	const max = 200
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}
