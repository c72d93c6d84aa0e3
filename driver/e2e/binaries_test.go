package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests run many binaries built from this repository: every
// example as a bootstrap for two architectures, e2efunc, two bootstraps
// with the race detector, the batchkit-driver command. Each is built once
// per run (the tests that run the same binary share it) and kept in the
// user's cache folder under a key made of what goes into it, so a later run,
// from this clone or another one, only checks that nothing changed instead
// of linking it again.

// goBuild is one binary to build: the main package in Dir (relative to
// root), with the environment Env added and the flags Flags given to go
// build.
type goBuild struct {
	Dir   string
	Env   []string
	Flags []string
}

func (b goBuild) id() string {
	return b.Dir + "\x00" + strings.Join(b.Env, " ") + "\x00" + strings.Join(b.Flags, " ")
}

// builtBinary is a binary built during this run, or being built.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

var (
	builtBinaries sync.Map // goBuild.id() -> *builtBinary
	buildMu       sync.Mutex
)

// binary returns the path of the binary b, building it unless this run, or
// an earlier one with the same inputs, did.
func binary(t *testing.T, b goBuild) string {
	t.Helper()
	v, _ := builtBinaries.LoadOrStore(b.id(), &builtBinary{})
	bb := v.(*builtBinary)
	bb.once.Do(func() { bb.path, bb.err = buildCached(b) })
	if bb.err != nil {
		t.Fatal(bb.err)
	}
	return bb.path
}

// binaryCacheDir is the folder of the cached binaries: bootstraps under
// $BATCHKIT_CACHE (scripts/test.sh sets it), else under the user's cache
// folder (os.UserCacheDir), else none.
func binaryCacheDir() string {
	if d := os.Getenv("BATCHKIT_CACHE"); d != "" {
		return filepath.Join(d, "bootstraps")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "batchkit", "bootstraps")
	}
	return ""
}

// tempBinaries is the folder of the binaries of a run without a cache
// folder, removed by TestMain.
var (
	tempBinariesMu  sync.Mutex
	tempBinariesDir string
)

func tempBinaries() (string, error) {
	tempBinariesMu.Lock()
	defer tempBinariesMu.Unlock()
	if tempBinariesDir == "" {
		d, err := os.MkdirTemp("", "batchkit-e2e-")
		if err != nil {
			return "", err
		}
		tempBinariesDir = d
	}
	return tempBinariesDir, nil
}

// buildCached builds b. Its key hashes the build of every package it links
// (the build IDs `go list -deps -export` prints, which change with any
// source file, flag, Go version, GOOS or GOARCH), the flags and the
// environment: a binary under that key is the one go build would link. A
// binary is built into a temporary file of the cache and renamed under its
// key, so runs at the same time (from two clones) never see half a file.
func buildCached(b goBuild) (string, error) {
	// One build at a time: go build already uses every core, and two
	// builds at once on a cold build cache compile the same packages twice.
	buildMu.Lock()
	defer buildMu.Unlock()
	dir := filepath.Join(root, b.Dir)
	env := append(os.Environ(), b.Env...)
	name := strings.NewReplacer("/", "_", `\`, "_").Replace(b.Dir)
	cache := binaryCacheDir()
	if cache == "" {
		tmp, err := tempBinaries()
		if err != nil {
			return "", err
		}
		out := filepath.Join(tmp, fmt.Sprintf("%s-%x", name, sha256.Sum256([]byte(b.id()))), "bootstrap")
		return out, goBuildTo(dir, env, b.Flags, out)
	}
	list := exec.Command("go", append(append([]string{"list", "-deps", "-export", "-f", "{{.ImportPath}} {{.BuildID}}"}, b.Flags...), ".")...)
	list.Dir, list.Env = dir, env
	var stderr strings.Builder
	list.Stderr = &stderr
	ids, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("go list -export in %s: %v: %s", b.Dir, err, stderr.String())
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", b.id(), os.Getenv("GOFLAGS"), runtime.Version(), ids)
	key := name + "-" + hex.EncodeToString(h.Sum(nil))[:32]
	out := filepath.Join(cache, key, "bootstrap")
	if _, err := os.Stat(out); err == nil {
		now := time.Now()
		_ = os.Chtimes(filepath.Dir(out), now, now) // used: kept by pruneBinaries
		return out, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cache, ".tmp-"+name+"-")
	if err != nil {
		return "", err
	}
	if err := goBuildTo(dir, env, b.Flags, filepath.Join(tmp, "bootstrap")); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, filepath.Dir(out)); err != nil {
		// Another run renamed the same binary first: use theirs.
		_ = os.RemoveAll(tmp)
		if _, serr := os.Stat(out); serr != nil {
			return "", errors.Join(err, serr)
		}
	}
	pruneBinaries(cache, name, key)
	return out, nil
}

// pruneBinaries removes the binaries built from the same package with other
// inputs (older sources) that no run used for a day.
func pruneBinaries(cache, name, keep string) {
	old, _ := filepath.Glob(filepath.Join(cache, name+"-*"))
	for _, d := range old {
		if filepath.Base(d) == keep || strings.Count(filepath.Base(d)[len(name):], "-") != 1 {
			continue
		}
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(d)
		}
	}
}

// goBuildTo runs go build -o out in dir.
func goBuildTo(dir string, env, flags []string, out string) error {
	cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, ".")...)
	cmd.Dir, cmd.Env = dir, env
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s (%s): %v: %s", strings.Join(flags, " "), dir, strings.Join(envOnly(env), " "), err, msg)
	}
	return nil
}

// envOnly returns the build settings of env, for messages.
func envOnly(env []string) []string {
	var out []string
	for _, e := range env {
		for _, k := range []string{"GOOS=", "GOARCH=", "CGO_ENABLED="} {
			if strings.HasPrefix(e, k) {
				out = append(out, e)
			}
		}
	}
	return out
}

// TestMain removes the binaries of a run without a cache folder.
func TestMain(m *testing.M) {
	code := m.Run()
	if tempBinariesDir != "" {
		_ = os.RemoveAll(tempBinariesDir)
	}
	os.Exit(code)
}
