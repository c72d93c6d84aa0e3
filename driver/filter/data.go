package filter

// data is a record's body, data or value in a source's view: Lambda matches
// it as JSON when it is a JSON object and as a plain string otherwise, with
// rules per source for a pattern of the other form.
type data struct {
	// obj is the decoded JSON object, nil when the data is not one.
	obj map[string]any
	// text is the data as a plain string.
	text string
	// nestedOnText is the outcome of a nested pattern on data that is not a
	// JSON object: false drops the record (SQS, streams), true ignores that
	// part of the pattern (Kafka).
	nestedOnText bool
	// listOnJSON says whether a list of values matches JSON data as its text
	// (Kafka) or fails (SQS).
	listOnJSON bool
	// noList says that a list of values never matches (streams: Lambda
	// accepts only JSON patterns for their data).
	noList bool
}

// matchData applies the field to a record's data.
func (f *field) matchData(d *data) bool {
	if f.sub != nil {
		if d.obj == nil {
			return d.nestedOnText
		}
		return f.sub.match(d.obj)
	}
	if d.noList || (d.obj != nil && !d.listOnJSON) {
		return false
	}
	values := []any{d.text}
	for _, m := range f.matchers {
		if m.match(values) {
			return true
		}
	}
	return false
}
