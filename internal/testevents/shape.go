// Package testevents holds test support of this repository: the JSON shape
// comparison ([RequireShape], [ShapeDiff]) that checks batchtest's builders
// against AWS's documented samples.
package testevents

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dataKeys name the objects whose keys are data, not schema (a job's user
// arguments, a window's state, Kafka's "<topic>-<partition>" groups and
// header names): their values are compared with the sample's first value.
var dataKeys = map[string]bool{"userArguments": true, "state": true, "records": true, "headers": true}

// optionalKeys may be present or absent: SQS adds md5OfMessageAttributes
// only to messages with message attributes (aws-lambda-go's SQSMessage
// always writes it); the Pipes guide's DynamoDB sample omits the
// ApproximateCreationDateTime every other DynamoDB Streams sample has.
// opaqueKeys hold DynamoDB items (attribute name to typed value), checked
// only to be objects: a table's own schema.
var opaqueKeys = map[string]bool{"Keys": true, "NewImage": true, "OldImage": true}

var optionalKeys = map[string]bool{"md5OfMessageAttributes": true, "ApproximateCreationDateTime": true}

// ShapeDiff compares the JSON value got with AWS's sample want: the same
// object keys at every level, the same kind of value (string, number,
// bool, null, object, array) under each key, and element i of an array
// shaped like the sample's element i (its last one past its end). It
// returns the differences.
func ShapeDiff(path string, want, got any) []string { return diff(path, want, got, false) }

func diff(path string, want, got any, data bool) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %T", path, got)}
		}
		var diffs []string
		if data {
			for _, first := range w {
				for k, gv := range g {
					diffs = append(diffs, diff(path+"."+k, first, gv, false)...)
				}
				break
			}
			sort.Strings(diffs)
			return diffs
		}
		for k := range w {
			if _, ok := g[k]; !ok && !optionalKeys[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok && !optionalKeys[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: not in AWS's sample", path, k))
			}
		}
		for k := range w {
			if gv, ok := g[k]; ok {
				if opaqueKeys[k] {
					if _, isObj := gv.(map[string]any); !isObj {
						diffs = append(diffs, fmt.Sprintf("%s.%s: want an object, got %T", path, k, gv))
					}
					continue
				}
				diffs = append(diffs, diff(path+"."+k, w[k], gv, dataKeys[k])...)
			}
		}
		sort.Strings(diffs)
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an array, got %T", path, got)}
		}
		if len(w) == 0 {
			return nil
		}
		var diffs []string
		// Only header lists hold data objects (one per header).
		data = data && strings.HasSuffix(path, ".headers")
		for i, e := range g {
			diffs = append(diffs, diff(fmt.Sprintf("%s[%d]", path, i), w[min(i, len(w)-1)], e, data)...)
		}
		return diffs
	}
	if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
		return []string{fmt.Sprintf("%s: want a %T like %v, got %T %v", path, want, want, got, got)}
	}
	return nil
}

// Decode returns the JSON value in data.
func Decode(t testing.TB, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(data, &v), "%s", data)
	return v
}

// Sample returns the JSON value in the file at path (slash-separated).
func Sample(t testing.TB, path string) any {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(path))
	require.NoError(t, err)
	return Decode(t, data)
}

// RequireShape fails t now unless the JSON got has the shape of want
// ([ShapeDiff]).
func RequireShape(t testing.TB, want any, got []byte) {
	t.Helper()
	require.Empty(t, ShapeDiff("$", want, Decode(t, got)), "%s", got)
}

// At walks a decoded JSON value: a string is an object key, an int an
// array index.
func At(v any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v
}
