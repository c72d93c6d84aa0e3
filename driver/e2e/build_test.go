// Package e2e tests batchkit's examples as Lambda functions: built as
// provided.al2023 bootstrap binaries, run under the AWS Lambda Runtime
// Interface Emulator, fed by the local driver from real local queues; and it
// checks the examples' SAM templates.
package e2e

import (
	"debug/elf"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// root is the repository's root directory.
var root, _ = filepath.Abs(filepath.Join("..", ".."))

// buildBootstrap builds the main package in dir (relative to root, built in
// the module that holds it) as a Lambda bootstrap for the provided.al2023
// runtime, the way the examples are deployed, and returns its path. Each is
// built once per run and cached (see binary): do not modify it.
func buildBootstrap(t *testing.T, dir, arch string) string {
	t.Helper()
	return binary(t, goBuild{
		Dir:   dir,
		Env:   []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch},
		Flags: []string{"-tags", "lambda.norpc", "-trimpath"},
	})
}

// examples returns the example directories that hold a main package.
func examples(t *testing.T) []string {
	t.Helper()
	mains, err := filepath.Glob(filepath.Join(root, "examples", "*", "main.go"))
	require.NoError(t, err)
	require.NotEmpty(t, mains)
	dirs := make([]string, len(mains))
	for i, m := range mains {
		dirs[i], _ = filepath.Rel(root, filepath.Dir(m))
	}
	return dirs
}

// Every example builds as a static bootstrap for both Lambda architectures.
func TestExamplesBuildAsBootstrap(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("cross-compiles every example twice")
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	for _, dir := range examples(t) {
		for _, arch := range []string{"amd64", "arm64"} {
			t.Run(filepath.Base(dir)+"/"+arch, func(t *testing.T) {
				t.Parallel()
				path := buildBootstrap(t, dir, arch)
				f, err := elf.Open(path)
				require.NoError(t, err)
				defer f.Close()
				require.Equal(t, machines[arch], f.Machine)
				for _, p := range f.Progs {
					require.NotEqual(t, elf.PT_INTERP, p.Type, "statically linked (CGO_ENABLED=0): no dynamic loader")
				}
			})
		}
	}
}
