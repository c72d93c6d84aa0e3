package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// envPrefix starts every variable batchkit reads.
const envPrefix = "BATCHKIT_"

// builtinEnv lists the variables [LoadEnv] reads.
var builtinEnv = []string{
	EnvProcessor, EnvSkipGroupOnError, EnvRaiseOnEntireBatchFailure, EnvConcurrency,
	EnvDeadlineMargin, EnvStopOnFirstFailure, EnvOrderByKey, EnvHooks,
}

// toolEnv lists the BATCHKIT_* variables that batchkit's own tools read:
// the local servers' endpoints that scripts/test.sh exports and the driver
// (batchkit-driver) reads and passes to the function it runs, and the test
// scripts' cache folders. A function run by the driver sees them, so they
// are known, not misspellings.
var toolEnv = []string{
	"BATCHKIT_SQS_ENDPOINT", "BATCHKIT_KINESIS_ENDPOINT", "BATCHKIT_DYNAMODB_ENDPOINT",
	"BATCHKIT_KAFKA_BROKERS", "BATCHKIT_RIE", "BATCHKIT_CACHE", "BATCHKIT_LOGS",
}

var extraEnv struct {
	sync.RWMutex
	names []string
}

// RegisterEnvVariable declares a BATCHKIT_* variable that other code reads
// (a hook module, a custom processor, the function itself), so that
// [LoadEnv] does not refuse it as a misspelling of one of its own. It
// panics when name does not start with "BATCHKIT_".
func RegisterEnvVariable(name string) {
	if !strings.HasPrefix(name, envPrefix) || len(name) == len(envPrefix) {
		panic(fmt.Sprintf("batchkit: RegisterEnvVariable(%q): the name must start with %q", name, envPrefix))
	}
	extraEnv.Lock()
	defer extraEnv.Unlock()
	if !slices.Contains(extraEnv.names, name) {
		extraEnv.names = append(extraEnv.names, name)
	}
}

// knownEnv returns every known BATCHKIT_* variable.
func knownEnv() []string {
	extraEnv.RLock()
	defer extraEnv.RUnlock()
	known := make([]string, 0, len(builtinEnv)+len(toolEnv)+len(extraEnv.names))
	known = append(known, builtinEnv...)
	known = append(known, toolEnv...)
	return append(known, extraEnv.names...)
}

// checkUnknownEnv returns an [*EnvError] for the first set BATCHKIT_*
// variable that batchkit does not know, naming the closest known one.
//
// With the process environment (lookup nil, or os.LookupEnv itself), which
// can be listed, every set BATCHKIT_* variable must be known: one of
// [LoadEnv]'s own, one of batchkit's tools' (the local servers' endpoints,
// see toolEnv), or one declared with [RegisterEnvVariable]. A lookup
// function of your own cannot list its variables, so there every name one
// edit away from a known one (a letter missing, extra, wrong, or two
// swapped: the usual typing slips) is looked up instead.
func checkUnknownEnv(lookup func(string) (string, bool)) error {
	known := knownEnv()
	var candidates []string
	strict := lookup == nil || isOSLookupEnv(lookup)
	if strict {
		for _, kv := range os.Environ() {
			name, _, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(name, envPrefix) {
				candidates = append(candidates, name)
			}
		}
		slices.Sort(candidates)
		lookup = os.LookupEnv
	} else {
		candidates = cachedOneEditAway(known)
	}
	for _, name := range candidates {
		if slices.Contains(known, name) {
			continue
		}
		v, ok := lookup(name)
		if !ok {
			continue
		}
		closest, d := closestName(name, known)
		if !strict && !isMisspelling(closest, d) {
			continue
		}
		return &EnvError{Variable: name, Value: v,
			Problem:  fmt.Sprintf("batchkit reads no such variable; did you mean %s? (a misspelt variable would otherwise be ignored silently; declare a variable of your own with config.RegisterEnvVariable)", closest),
			Accepted: "the variables " + strings.Join(known, ", ")}
	}
	return nil
}

// isOSLookupEnv reports whether lookup is os.LookupEnv itself, whose
// variables can be listed with os.Environ.
func isOSLookupEnv(lookup func(string) (string, bool)) bool {
	return reflect.ValueOf(lookup).Pointer() == reflect.ValueOf(os.LookupEnv).Pointer()
}

// editCache keeps the names one edit away from the known ones, computed
// once per set of known names.
var editCache struct {
	sync.Mutex
	known []string
	names []string
}

func cachedOneEditAway(known []string) []string {
	editCache.Lock()
	defer editCache.Unlock()
	if !slices.Equal(editCache.known, known) {
		editCache.known, editCache.names = slices.Clone(known), oneEditAway(known)
	}
	return editCache.names
}

// envAlphabet holds the characters of variable names.
const envAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"

// oneEditAway returns the names one edit (deletion, insertion,
// substitution, transposition of neighbours) away from any of names, still
// starting with BATCHKIT_, in a stable order.
func oneEditAway(names []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] && strings.HasPrefix(s, envPrefix) {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, n := range names {
		for i := len(envPrefix); i <= len(n); i++ {
			if i < len(n) {
				add(n[:i] + n[i+1:])
				if i+1 < len(n) {
					add(n[:i] + string(n[i+1]) + string(n[i]) + n[i+2:])
				}
			}
			for _, c := range envAlphabet {
				add(n[:i] + string(c) + n[i:])
				if i < len(n) {
					add(n[:i] + string(c) + n[i+1:])
				}
			}
		}
	}
	return out
}

// closestName returns the name among known with the smallest edit distance
// to name, and that distance.
func closestName(name string, known []string) (string, int) {
	best, bestD := "", -1
	for _, k := range known {
		if d := editDistance(name, k); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best, bestD
}

// isMisspelling reports whether a name at edit distance d from the known
// name closest is likely a misspelling of it: at most 2 edits, or a quarter
// of the known name after the prefix (BATCHKIT_RAISE_ON_BATCH_FAILURE is 7
// edits from BATCHKIT_RAISE_ON_ENTIRE_BATCH_FAILURE, whose 29 characters
// allow 7).
func isMisspelling(closest string, d int) bool {
	return d <= max(2, (len(closest)-len(envPrefix))/4)
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment) between a and b.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
