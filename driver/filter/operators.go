package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strings"
)

// matcher is one element of a pattern's list of values. It is given every
// leaf value found under the field (none when the field is absent or holds
// only objects).
type matcher interface {
	match(values []any) bool
}

// valueMatcher matches one leaf value; as a [matcher] it matches when any
// value matches.
type valueMatcher interface {
	matchValue(v any) bool
}

type anyValue struct{ valueMatcher }

func (a anyValue) match(values []any) bool {
	for _, v := range values {
		if a.matchValue(v) {
			return true
		}
	}
	return false
}

// existsMatcher is {"exists": true|false}: whether the field has a leaf value.
type existsMatcher bool

func (e existsMatcher) match(values []any) bool { return (len(values) > 0) == bool(e) }

// exact matches a string, a number (by its JSON text), a boolean or null.
type exact struct{ v any }

func (e exact) matchValue(v any) bool {
	switch p := e.v.(type) {
	case string:
		s, ok := v.(string)
		return ok && s == p
	case json.Number:
		n, ok := v.(json.Number)
		return ok && n == p
	case bool:
		b, ok := v.(bool)
		return ok && b == p
	case nil:
		return v == nil
	}
	return false
}

// prefix, suffix and equals-ignore-case match strings.
type prefix struct {
	s    string
	fold bool
}

func (p prefix) matchValue(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if p.fold {
		return strings.HasPrefix(strings.ToLower(s), p.s)
	}
	return strings.HasPrefix(s, p.s)
}

type suffix struct {
	s    string
	fold bool
}

func (p suffix) matchValue(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if p.fold {
		return strings.HasSuffix(strings.ToLower(s), p.s)
	}
	return strings.HasSuffix(s, p.s)
}

type equalsIgnoreCase string

func (e equalsIgnoreCase) matchValue(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, string(e))
}

// cidr matches a string holding an IP address inside the prefix.
type cidr netip.Prefix

func (c cidr) matchValue(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && netip.Prefix(c).Contains(a.Unmap())
}

// numeric is {"numeric": ["=", x]} or a range with optional bounds.
type numeric struct {
	lower, upper         float64
	hasLower, hasUpper   bool
	lowerIncl, upperIncl bool
}

func (n numeric) matchValue(v any) bool {
	num, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, err := num.Float64()
	if err != nil || math.IsNaN(f) {
		return false
	}
	if n.hasLower && (f < n.lower || (f == n.lower && !n.lowerIncl)) {
		return false
	}
	if n.hasUpper && (f > n.upper || (f == n.upper && !n.upperIncl)) {
		return false
	}
	return true
}

// anythingBut matches a leaf value that none of its matchers match; with a
// string-only inner matcher (prefix, suffix, equals-ignore-case, wildcard),
// only strings.
type anythingBut struct {
	not         []valueMatcher
	stringsOnly bool
}

func (a anythingBut) matchValue(v any) bool {
	if _, ok := v.(string); a.stringsOnly && !ok {
		return false
	}
	for _, m := range a.not {
		if m.matchValue(v) {
			return false
		}
	}
	return true
}

// compileMatcher compiles one element of a list of values.
func compileMatcher(e any, path string) (matcher, *PatternError) {
	switch v := e.(type) {
	case string, json.Number, bool, nil:
		if n, ok := v.(json.Number); ok {
			if _, err := n.Float64(); err != nil {
				return nil, &PatternError{Path: path, Reason: fmt.Sprintf("the number %s is out of range", n)}
			}
		}
		return anyValue{exact{v}}, nil
	case []any:
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a list of values cannot hold a list (%s); write the values side by side", text(v))}
	case map[string]any:
		if len(v) != 1 {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("an operator object must have exactly one key, such as {\"prefix\": \"us-\"}; got %s", text(v))}
		}
		for op, arg := range v {
			return compileOperator(op, arg, join(path, op))
		}
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("unsupported value %s", text(e))}
}

func compileOperator(op string, arg any, path string) (matcher, *PatternError) {
	switch op {
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("\"exists\" takes true or false, not %s", text(arg))}
		}
		return existsMatcher(b), nil
	case "prefix", "suffix":
		s, fold, err := affix(op, arg, path)
		if err != nil {
			return nil, err
		}
		if op == "prefix" {
			return anyValue{prefix{s, fold}}, nil
		}
		return anyValue{suffix{s, fold}}, nil
	case "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("\"equals-ignore-case\" takes a string, not %s", text(arg))}
		}
		return anyValue{equalsIgnoreCase(s)}, nil
	case "wildcard":
		s, ok := arg.(string)
		if !ok {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("\"wildcard\" takes a string, not %s", text(arg))}
		}
		w, err := compileWildcard(s)
		if err != nil {
			return nil, &PatternError{Path: path, Reason: err.Error()}
		}
		return anyValue{w}, nil
	case "cidr":
		s, ok := arg.(string)
		if !ok {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("\"cidr\" takes a string such as \"10.0.0.0/24\", not %s", text(arg))}
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("\"cidr\" takes an IP prefix such as \"10.0.0.0/24\": %v", err)}
		}
		return anyValue{cidr(p.Masked())}, nil
	case "numeric":
		n, err := compileNumeric(arg, path)
		if err != nil {
			return nil, err
		}
		return anyValue{n}, nil
	case "anything-but":
		a, err := compileAnythingBut(arg, path)
		if err != nil {
			return nil, err
		}
		return anyValue{a}, nil
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("unknown operator %q; Lambda knows prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists and cidr", op)}
}

// affix reads the argument of prefix or suffix: a string, or
// {"equals-ignore-case": "..."}.
func affix(op string, arg any, path string) (string, bool, *PatternError) {
	switch v := arg.(type) {
	case string:
		return v, false, nil
	case map[string]any:
		if s, ok := v["equals-ignore-case"].(string); ok && len(v) == 1 {
			return strings.ToLower(s), true, nil
		}
	}
	return "", false, &PatternError{Path: path, Reason: fmt.Sprintf("%q takes a string or {\"equals-ignore-case\": \"...\"}, not %s", op, text(arg))}
}

func compileNumeric(arg any, path string) (numeric, *PatternError) {
	var n numeric
	list, ok := arg.([]any)
	if !ok || (len(list) != 2 && len(list) != 4) {
		return n, &PatternError{Path: path, Reason: fmt.Sprintf("\"numeric\" takes [\"=\", 100], [\">\", 10] or a range [\">\", 10, \"<=\", 20], not %s", text(arg))}
	}
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok {
			return n, &PatternError{Path: path, Reason: fmt.Sprintf("%s is not an operator; use =, <, <=, > or >=", text(list[i]))}
		}
		num, ok := list[i+1].(json.Number)
		if !ok {
			return n, &PatternError{Path: path, Reason: fmt.Sprintf("%q must be followed by a number, not %s", op, text(list[i+1]))}
		}
		f, err := num.Float64()
		if err != nil {
			return n, &PatternError{Path: path, Reason: fmt.Sprintf("the number %s is out of range", num)}
		}
		switch op {
		case "=":
			if len(list) != 2 {
				return n, &PatternError{Path: path, Reason: "\"=\" cannot be combined with another bound"}
			}
			n.lower, n.upper, n.hasLower, n.hasUpper, n.lowerIncl, n.upperIncl = f, f, true, true, true, true
		case ">", ">=":
			if n.hasLower {
				return n, &PatternError{Path: path, Reason: "a range has at most one lower bound (> or >=)"}
			}
			n.lower, n.hasLower, n.lowerIncl = f, true, op == ">="
		case "<", "<=":
			if n.hasUpper {
				return n, &PatternError{Path: path, Reason: "a range has at most one upper bound (< or <=)"}
			}
			n.upper, n.hasUpper, n.upperIncl = f, true, op == "<="
		default:
			return n, &PatternError{Path: path, Reason: fmt.Sprintf("unknown numeric operator %q; use =, <, <=, > or >=", op)}
		}
	}
	if n.hasLower && n.hasUpper && (n.lower > n.upper || (n.lower == n.upper && !(n.lowerIncl && n.upperIncl))) {
		return n, &PatternError{Path: path, Reason: fmt.Sprintf("the range %s matches no number: its lower bound is not below its upper bound", text(arg))}
	}
	return n, nil
}

func compileAnythingBut(arg any, path string) (anythingBut, *PatternError) {
	switch v := arg.(type) {
	case string, json.Number:
		return anythingBut{not: []valueMatcher{exact{v}}}, nil
	case []any:
		if len(v) == 0 {
			return anythingBut{}, &PatternError{Path: path, Reason: "\"anything-but\" needs at least one value"}
		}
		a := anythingBut{}
		_, wantString := v[0].(string)
		for _, e := range v {
			_, isString := e.(string)
			_, isNumber := e.(json.Number)
			if (!isString && !isNumber) || isString != wantString {
				return anythingBut{}, &PatternError{Path: path, Reason: fmt.Sprintf("\"anything-but\" takes a list of strings only or of numbers only, not %s", text(arg))}
			}
			a.not = append(a.not, exact{e})
		}
		return a, nil
	case map[string]any:
		if len(v) == 1 {
			for op, inner := range v {
				return compileAnythingButOperator(op, inner, join(path, op))
			}
		}
	}
	return anythingBut{}, &PatternError{Path: path, Reason: fmt.Sprintf("\"anything-but\" takes a string, a number, a list of them, or one of {\"prefix\"}, {\"suffix\"}, {\"equals-ignore-case\"}, {\"wildcard\"}; not %s", text(arg))}
}

func compileAnythingButOperator(op string, inner any, path string) (anythingBut, *PatternError) {
	a := anythingBut{stringsOnly: true}
	switch op {
	case "prefix", "suffix", "equals-ignore-case", "wildcard":
	default:
		return a, &PatternError{Path: path, Reason: fmt.Sprintf("\"anything-but\" cannot hold %q; use prefix, suffix, equals-ignore-case or wildcard", op)}
	}
	strs, err := stringList(op, inner, path, op == "equals-ignore-case" || op == "wildcard")
	if err != nil {
		return a, err
	}
	for _, s := range strs {
		switch op {
		case "prefix":
			a.not = append(a.not, prefix{s: s})
		case "suffix":
			a.not = append(a.not, suffix{s: s})
		case "equals-ignore-case":
			a.not = append(a.not, equalsIgnoreCase(s))
		case "wildcard":
			w, err := compileWildcard(s)
			if err != nil {
				return a, &PatternError{Path: path, Reason: err.Error()}
			}
			a.not = append(a.not, w)
		}
	}
	return a, nil
}

// stringList reads a string, or when lists are allowed a non-empty list of
// strings.
func stringList(op string, v any, path string, lists bool) ([]string, *PatternError) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []any:
		if lists && len(x) > 0 {
			out := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					break
				}
				out = append(out, s)
			}
			if len(out) == len(x) {
				return out, nil
			}
		}
	}
	want := "a string"
	if lists {
		want = "a string or a list of strings"
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%q inside \"anything-but\" takes %s, not %s", op, want, text(v))}
}
