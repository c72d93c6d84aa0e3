package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var envNameRE = regexp.MustCompile(`BATCHKIT_[A-Z0-9_]*[A-Z0-9]`)

// namesIn returns the BATCHKIT_* names in the files under dir whose names
// match one of the patterns.
func namesIn(t *testing.T, dir string, patterns ...string) map[string]string {
	t.Helper()
	found := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !slices.ContainsFunc(patterns, func(p string) bool { ok, _ := filepath.Match(p, d.Name()); return ok }) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, name := range envNameRE.FindAllString(string(data), -1) {
			found[name] = path
		}
		return nil
	})
	require.NoError(t, err)
	return found
}

// Issue 24 §2: the library knows only its own variables. The names the
// repository's test scripts and driver set (BATCHKIT_CACHE, BATCHKIT_RIE,
// BATCHKIT_*_ENDPOINT, ...) are not listed in library code, and none is a
// typo of a known name, so a function run under them starts.
func TestToolVariables(t *testing.T) {
	var library []string
	for _, f := range must(filepath.Glob("*.go")) {
		if !strings.HasSuffix(f, "_test.go") {
			library = append(library, f)
		}
	}
	for _, f := range library {
		data := must(os.ReadFile(f))
		for _, name := range envNameRE.FindAllString(string(data), -1) {
			typo := slices.ContainsFunc(knownEnv, func(k string) bool { return editDistance(name, k) == 1 })
			require.True(t, slices.Contains(knownEnv, name) || typo, "%s names %s, not a variable OpenEnv reads (nor a typo shown as one)", f, name)
		}
	}

	tools := namesIn(t, filepath.Join("..", "scripts"), "*.sh", "*.go")
	for name, path := range namesIn(t, filepath.Join("..", "driver"), "*.go", "*.sh") {
		tools[name] = path
	}
	require.Contains(t, tools, "BATCHKIT_CACHE", "the scan finds the scripts' variables")
	var environ []string
	for name, path := range tools {
		if slices.Contains(knownEnv, name) {
			continue
		}
		for _, known := range knownEnv {
			require.NotEqual(t, 1, editDistance(name, known), "%s (set in %s) would be taken for a typo of %s", name, path, known)
		}
		environ = append(environ, name+"=x")
	}
	_, err := OpenEnv[struct{}](environ)
	require.ErrorContains(t, err, "BATCHKIT_PROCESSOR unset", "only the missing processor stops it")
}

// docs/configuration.md's table lists exactly the variables OpenEnv reads.
func TestDocTable(t *testing.T) {
	doc := string(must(os.ReadFile(filepath.Join("..", "docs", "configuration.md"))))
	var rows []string
	for line := range strings.SplitSeq(doc, "\n") {
		if m := regexp.MustCompile("^\\| `(BATCHKIT_[A-Z_]+)` \\|").FindStringSubmatch(line); m != nil {
			rows = append(rows, m[1])
		}
	}
	require.ElementsMatch(t, knownEnv, rows)
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "ab", 1}, {"ab", "abc", 1}, {"abc", "abd", 1},
		{"abc", "acb", 1}, {"abc", "cab", 2}, {"HOOKS", "LOGS", 3}, {"", "abc", 3},
	} {
		require.Equal(t, tt.d, editDistance(tt.a, tt.b), "%q %q", tt.a, tt.b)
		require.Equal(t, tt.d, editDistance(tt.b, tt.a), "%q %q", tt.b, tt.a)
	}
}

func TestEnvName(t *testing.T) {
	require.Equal(t, "BATCHKIT_SUPPRESS_FULL_BATCH_ERROR", envName("SuppressFullBatchError"))
	require.Equal(t, "BATCHKIT_HOOKS", envName("Hooks"))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
