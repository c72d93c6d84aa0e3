package filter

import (
	"errors"
	"strings"
)

// wildcard matches a string against a pattern where "*" stands for any run of
// characters (including none), "\*" for a star and "\\" for a backslash.
type wildcard struct {
	// parts are the literal runs between the stars.
	parts []string
	// leading and trailing say whether the pattern starts or ends with a star.
	leading, trailing bool
}

// compileWildcard parses a wildcard pattern; two stars in a row and a
// backslash before anything but a star or a backslash are errors, as in
// EventBridge.
func compileWildcard(p string) (wildcard, error) {
	var w wildcard
	var cur strings.Builder
	prevStar := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '\\':
			if i+1 >= len(p) || (p[i+1] != '*' && p[i+1] != '\\') {
				return w, errors.New("in \"wildcard\" a backslash must be followed by * or \\ (write \\* for a star, \\\\ for a backslash)")
			}
			i++
			cur.WriteByte(p[i])
			prevStar = false
		case '*':
			if prevStar {
				return w, errors.New("\"wildcard\" cannot hold two stars in a row (**); one star already matches any run of characters")
			}
			if i == 0 {
				w.leading = true
			} else {
				w.parts = append(w.parts, cur.String())
				cur.Reset()
			}
			prevStar = true
		default:
			cur.WriteByte(c)
			prevStar = false
		}
	}
	if prevStar {
		w.trailing = true
	} else {
		w.parts = append(w.parts, cur.String())
	}
	return w, nil
}

func (w wildcard) matchValue(v any) bool {
	s, ok := v.(string)
	return ok && w.matchString(s)
}

// matchString places the literal runs left to right: the first at the start
// unless the pattern starts with a star, the last at the end unless it ends
// with one, the others at their leftmost place in between.
func (w wildcard) matchString(s string) bool {
	parts := w.parts
	if len(parts) == 0 {
		return true // "*"
	}
	if !w.leading && !w.trailing && len(parts) == 1 {
		return s == parts[0]
	}
	if !w.leading {
		if !strings.HasPrefix(s, parts[0]) {
			return false
		}
		s = s[len(parts[0]):]
		parts = parts[1:]
	}
	last := ""
	if !w.trailing {
		if len(parts) == 0 {
			return s == "" // cannot happen: a pattern without stars is handled above
		}
		last = parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	if !w.trailing {
		return len(s) >= len(last) && strings.HasSuffix(s, last)
	}
	return true
}
