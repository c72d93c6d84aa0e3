package doclinks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// root is the repository's root directory.
var root, _ = filepath.Abs(filepath.Join("..", ".."))

// pages returns the Markdown pages whose links are checked, relative to
// root: README.md and docs/*.md.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		rel, _ := filepath.Rel(root, d)
		out = append(out, rel)
	}
	return out
}

var (
	// inlineLink matches [text](target) and ![alt](target), with an
	// optional "title"; the target is group 1.
	inlineLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refDef matches a reference definition: [label]: target.
	refDef = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$`)
	// codeSpan matches inline code, whose text is not a link.
	codeSpan = regexp.MustCompile("`+[^`]*`+")
	// heading matches an ATX heading.
	heading = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
)

// link is one link of a page.
type link struct {
	line   int
	target string
}

// scan returns the links of a Markdown page and the anchors of its
// headings, outside fenced and indented code blocks and inline code.
func scan(text string) (links []link, anchors map[string]bool) {
	anchors = map[string]bool{}
	seen := map[string]int{}
	fence := ""
	prevBlank := true
	inIndented := false
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		// An indented code block starts after a blank line.
		if strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t") {
			if prevBlank || inIndented {
				inIndented = true
				continue
			}
		} else if strings.TrimSpace(line) != "" {
			inIndented = false
		}
		prevBlank = strings.TrimSpace(line) == ""
		if m := heading.FindStringSubmatch(line); m != nil {
			a := slug(m[1])
			if n, dup := seen[a]; dup {
				seen[a] = n + 1
				a = fmt.Sprintf("%s-%d", a, n+1)
			} else {
				seen[a] = 0
			}
			anchors[a] = true
		}
		plain := codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(plain, -1) {
			links = append(links, link{i + 1, m[1]})
		}
		for _, m := range refDef.FindAllStringSubmatch(plain, -1) {
			links = append(links, link{i + 1, m[1]})
		}
	}
	return links, anchors
}

// slug is the anchor GitHub gives a heading: its text without Markdown
// markup, lower-cased, punctuation removed, spaces turned into hyphens.
func slug(h string) string {
	h = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(h, "$1") // [text](url) -> text
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Every relative link of README.md and docs/*.md names a file or folder
// that exists, and a #fragment names a heading of the Markdown page it
// points at (the page itself for a bare #fragment).
func TestRelativeLinks(t *testing.T) {
	anchorsOf := map[string]map[string]bool{} // page (relative to root) -> anchors
	read := func(page string) (string, error) {
		data, err := os.ReadFile(filepath.Join(root, page))
		return string(data), err
	}
	anchors := func(page string) map[string]bool {
		if a, ok := anchorsOf[page]; ok {
			return a
		}
		text, err := read(page)
		if err != nil {
			t.Fatal(err)
		}
		_, a := scan(text)
		anchorsOf[page] = a
		return a
	}
	checked := 0
	for _, page := range pages(t) {
		text, err := read(page)
		if err != nil {
			t.Fatal(err)
		}
		links, _ := scan(text)
		for _, l := range links {
			target := l.target
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(target, "#")
			dest := page
			if path != "" {
				if strings.HasPrefix(path, "/") {
					t.Errorf("%s:%d: link %q is absolute: a relative link works on GitHub and in a checkout", page, l.line, target)
					continue
				}
				dest = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(page), path)))
				if strings.HasPrefix(dest, "../") {
					t.Errorf("%s:%d: link %q points outside the repository", page, l.line, target)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
					t.Errorf("%s:%d: link %q: %s does not exist", page, l.line, target, dest)
					continue
				}
			}
			if frag != "" && strings.HasSuffix(dest, ".md") && !anchors(dest)[frag] {
				t.Errorf("%s:%d: link %q: %s has no heading with anchor #%s", page, l.line, target, dest, frag)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: the scanner is broken")
	}
	t.Logf("%d relative links checked", checked)
}

// The scanner finds links and anchors as GitHub renders them, and not in
// code; a broken link and a missing anchor are reported.
func TestScan(t *testing.T) {
	page := "# Title\n\n## The two `commands`, again\n\n## Title\n\nSee [a](a.md#b) and ![img](x.png \"t\").\n" +
		"`[not](code.md)`\n\n    [indented](code.md)\n\n```\n[fenced](code.md)\n```\n\n[ref]: docs/ref.md\n"
	links, anchors := scan(page)
	var got []string
	for _, l := range links {
		got = append(got, fmt.Sprintf("%d:%s", l.line, l.target))
	}
	want := []string{"7:a.md#b", "7:x.png", "16:docs/ref.md"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("links: got %v, want %v", got, want)
	}
	for _, a := range []string{"title", "the-two-commands-again", "title-1"} {
		if !anchors[a] {
			t.Errorf("anchor %q missing from %v", a, anchors)
		}
	}
	if len(anchors) != 3 {
		t.Errorf("anchors: %v", anchors)
	}
}
