package filter

import "fmt"

// ValidateFor checks the patterns against the rules Lambda applies when an
// event source mapping is created for eventSource ("aws:sqs",
// "aws:kinesis", "aws:dynamodb", "aws:kafka", "SelfManagedKafka"): for
// Kinesis the filter on "data", and for DynamoDB Streams the filter on
// "dynamodb", must be a nested JSON object, not a list of values; Lambda
// refuses the mapping otherwise. It returns a [*PatternError] for the first
// pattern that breaks them, nil when there is none or the source has no
// such rule.
func (c *Criteria) ValidateFor(eventSource string) error {
	if c == nil {
		return nil
	}
	var key string
	switch eventSource {
	case "aws:kinesis":
		key = "data"
	case "aws:dynamodb":
		key = "dynamodb"
	default:
		return nil
	}
	for i, p := range c.patterns {
		if path := listUnder(p, key, ""); path != "" {
			return &PatternError{Index: i, Pattern: c.sources[i], Path: path, Reason: fmt.Sprintf("for %s the filter on %q must be a JSON object of fields, such as {%q: {\"field\": [\"value\"]}}; Lambda refuses a list of values there when the mapping is created", eventSource, key, key)}
		}
	}
	return nil
}

// listUnder returns the path of a list of values under key in the pattern
// or one of its "$or" alternatives, or "".
func listUnder(o *object, key, path string) string {
	for _, f := range o.fields {
		if f.key == key && f.sub == nil {
			return join(path, key)
		}
	}
	for i, alt := range o.or {
		if p := listUnder(alt, key, fmt.Sprintf("%s[%d]", join(path, "$or"), i)); p != "" {
			return p
		}
	}
	return ""
}
