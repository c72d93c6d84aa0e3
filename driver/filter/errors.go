package filter

import (
	"errors"
	"fmt"
)

// ErrInvalidPattern matches, with errors.Is, every [*PatternError].
var ErrInvalidPattern = errors.New("batchkit/driver/filter: invalid filter pattern")

// ErrTooManyFilters is returned by [New] for more than [MaxFilters] patterns,
// which Lambda refuses when the event source mapping is created.
var ErrTooManyFilters = fmt.Errorf("batchkit/driver/filter: more than %d filters; Lambda refuses them (5 by default, 10 with a quota increase): merge patterns with \"$or\"", MaxFilters)

// MaxFilters is the most filters an event source mapping accepts (5 by
// default, 10 after a quota increase).
const MaxFilters = 10

// MaxPatternLength is the longest pattern Lambda accepts, in bytes.
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
