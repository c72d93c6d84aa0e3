// Package releasetest tests scripts/release.sh on a small repository of
// its own: a root module and a nested module, as batchkit has.
package releasetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// script is the path of scripts/release.sh.
var script, _ = filepath.Abs(filepath.Join("..", "release.sh"))

// newRepo creates a git repository with a root module and a nested module
// (hooks/x) that requires the root through a replace line, committed.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":            "module github.com/batchkit/batchkit\n\ngo 1.26.0\n",
		"core/core.go":      "// Package core is a stand-in.\npackage core\n\n// Answer is 42.\nconst Answer = 42\n",
		"core/core_test.go": "package core\n\nimport \"testing\"\n\nfunc TestAnswer(t *testing.T) {\n\tif Answer != 42 {\n\t\tt.Fatal(Answer)\n\t}\n}\n",
		"hooks/x/go.mod":    "module github.com/batchkit/batchkit/hooks/x\n\ngo 1.26.0\n\nrequire github.com/batchkit/batchkit v0.0.0-00010101000000-000000000000\n\nreplace github.com/batchkit/batchkit => ../..\n",
		"hooks/x/x.go":      "// Package x is a stand-in hook.\npackage x\n\nimport \"github.com/batchkit/batchkit/core\"\n\n// Answer is core's.\nconst Answer = core.Answer\n",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	git(t, dir, "init", "-q")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "initial")
	return dir
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "tag.gpgSign=false", "-c", "commit.gpgSign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return string(out)
}

// release runs the script in dir and returns its output and whether it
// succeeded.
func release(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_0=user.name", "GIT_CONFIG_VALUE_0=t",
		"GIT_CONFIG_KEY_1=user.email", "GIT_CONFIG_VALUE_1=t@example.com",
		"GIT_CONFIG_KEY_2=tag.gpgSign", "GIT_CONFIG_VALUE_2=false")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// The dry run (the default) checks the repository and lists the tags of
// every module and the go.mod edits a release needs, changing nothing.
func TestReleaseDryRun(t *testing.T) {
	dir := newRepo(t)
	out, ok := release(t, dir, "v0.3.0")
	require.True(t, ok, out)
	require.Contains(t, out, "would tag v0.3.0 (github.com/batchkit/batchkit)")
	require.Contains(t, out, "would tag hooks/x/v0.3.0 (github.com/batchkit/batchkit/hooks/x)")
	require.Contains(t, out, "needs: hooks/x/go.mod to require github.com/batchkit/batchkit v0.3.0")
	require.Contains(t, out, "module hooks/x: go vet, go test")
	require.Empty(t, git(t, dir, "tag", "-l"), "a dry run creates no tag")
	require.Empty(t, git(t, dir, "status", "--porcelain"), "a dry run changes no file")
}

// -prepare makes the nested modules require the release; once that is
// committed, -tag creates one annotated tag per module.
func TestReleasePrepareAndTag(t *testing.T) {
	dir := newRepo(t)
	out, ok := release(t, dir, "-tag", "-skip-tests", "v0.3.0")
	require.False(t, ok, "tagging before the nested modules require the release: %s", out)
	require.Contains(t, out, "-prepare v0.3.0")

	out, ok = release(t, dir, "-prepare", "v0.3.0")
	require.True(t, ok, out)
	gomod, err := os.ReadFile(filepath.Join(dir, "hooks", "x", "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(gomod), "require github.com/batchkit/batchkit v0.3.0")
	require.Contains(t, string(gomod), "replace github.com/batchkit/batchkit => ../..")
	git(t, dir, "commit", "-q", "-am", "release v0.3.0")

	out, ok = release(t, dir, "-tag", "v0.3.0")
	require.True(t, ok, out)
	require.Equal(t, []string{"hooks/x/v0.3.0", "v0.3.0"}, strings.Fields(git(t, dir, "tag", "-l")))
	require.Contains(t, out, "git push origin v0.3.0 hooks/x/v0.3.0")

	out, ok = release(t, dir, "v0.3.0")
	require.False(t, ok)
	require.Contains(t, out, "tag v0.3.0 exists already")
}

// The checks refuse a bad version, a dirty tree, unformatted code and a
// failing test, before anything is tagged.
func TestReleaseRefuses(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string
		want  string
	}{
		{"bad version", nil, []string{"0.3.0"}, "not a semantic version"},
		{"bad version with v", nil, []string{"v0.3"}, "not a semantic version"},
		{"no version", nil, nil, "usage"},
		{"dirty tree", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "new.txt"), []byte("x"), 0o644))
		}, []string{"v0.3.0"}, "not clean"},
		{"unformatted", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "core", "bad.go"), []byte("package core\nconst  B=1\n"), 0o644))
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-q", "-m", "unformatted")
		}, []string{"v0.3.0"}, "not gofmt-ed"},
		{"failing test", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "core", "core.go"), []byte("// Package core is a stand-in.\npackage core\n\n// Answer is 41.\nconst Answer = 41\n"), 0o644))
			git(t, dir, "commit", "-q", "-am", "break")
		}, []string{"-tag", "v0.3.0"}, "go test failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := newRepo(t)
			if c.setup != nil {
				c.setup(t, dir)
			}
			out, ok := release(t, dir, c.args...)
			require.False(t, ok, out)
			require.Contains(t, out, c.want)
			require.Empty(t, git(t, dir, "tag", "-l"))
		})
	}
}
