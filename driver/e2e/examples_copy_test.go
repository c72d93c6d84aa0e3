package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every example can be copied into a user's module: copied out of the
// repository into a fresh module (its own go.mod when it has one, else
// `go mod init`), with only the replace lines README's Install section
// documents (one per batchkit module it requires, to the checkout), it
// builds and vets, tests included. An example importing a package a user
// cannot import (an internal package of the repository) fails here with
// "use of internal package ... not allowed".
func TestExamplesBuildInAFreshModule(t *testing.T) {
	if testing.Short() {
		t.Skip("creates and builds a module per example")
	}
	env := []string{"GOFLAGS=-mod=mod", "GOWORK=off"}
	requireLine := regexp.MustCompile(`(?m)^\s*(?:require\s+)?(github\.com/batchkit/batchkit(?:/[^\s]+)?)\s+v`)
	for _, dir := range examples(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src := filepath.Join(root, dir)
			dst := t.TempDir() // outside the repository
			copyFiles(t, src, dst)
			gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
			if os.IsNotExist(err) {
				goCmd(t, dst, env, "mod", "init", "example.com/"+filepath.Base(dir))
				goCmd(t, dst, env, "mod", "edit", "-require=github.com/batchkit/batchkit@v0.0.0", "-replace=github.com/batchkit/batchkit="+root)
			} else {
				require.NoError(t, err)
				// Drop the example's own replace lines (relative to the
				// repository) and add the documented ones. The module keeps
				// its path: its packages import each other by it.
				for _, r := range regexp.MustCompile(`(?m)^\s*(?:replace\s+)?(github\.com/batchkit/batchkit[^\s]*)\s+=>`).FindAllStringSubmatch(string(gomod), -1) {
					goCmd(t, dst, env, "mod", "edit", "-dropreplace="+r[1])
				}
				for _, m := range requireLine.FindAllStringSubmatch(string(gomod), -1) {
					rel := strings.TrimPrefix(strings.TrimPrefix(m[1], "github.com/batchkit/batchkit"), "/")
					goCmd(t, dst, env, "mod", "edit", "-replace="+m[1]+"="+filepath.Join(root, filepath.FromSlash(rel)))
				}
			}
			goCmd(t, dst, env, "mod", "tidy")
			goCmd(t, dst, env, "vet", "./...")
		})
	}
}

// copyFiles copies the files of src, subdirectories included, to dst.
func copyFiles(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		switch {
		case e.IsDir():
			require.NoError(t, os.Mkdir(to, 0o755))
			copyFiles(t, from, to)
		case e.Type().IsRegular():
			data, err := os.ReadFile(from)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(to, data, 0o644))
		}
	}
}
