// Command testcount reads the output of `go test -json` on stdin, prints the
// output as `go test` without -v would (each package's result line, and the
// output of the tests that failed; with -v, everything), and counts the
// tests (subtests included) that passed, failed and were skipped. scripts/test.sh runs it
// after every module's tests:
//
//	go test -json ./... | testcount -counts counts.txt
//
// appends one line "PASSED FAILED SKIPPED" to counts.txt and, after the
// output, lists the skipped tests with their reason, so a skip is visible
// without -v. A package that fails without a failed test (it does not build,
// or its test binary crashed) counts as one failure. The exit status is 1
// when something failed or the input is not go test's JSON.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// Counts are the tests of one run.
type Counts struct {
	Passed, Failed, Skipped int
	// SkipReasons maps "package TestName" to the last line the test logged
	// before skipping.
	SkipReasons map[string]string
}

// count copies the output to out (all of it when verbose, else the
// packages' lines and the output of failed tests) and counts the results.
func count(in io.Reader, out io.Writer, verbose bool) (Counts, error) {
	c := Counts{SkipReasons: map[string]string{}}
	lastLine := map[string]string{}  // test -> last output line
	failedTests := map[string]bool{} // package -> a test failed
	held := map[string][]string{}    // test -> its output, until it ends
	var order []string               // tests holding output, in order
	flush := func(key string) {
		for _, o := range held[key] {
			io.WriteString(out, o)
		}
		delete(held, key)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not JSON (go vet or build output mixed in): pass it on.
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if verbose || e.Test == "" {
				// Without -v, go test shows a package's "ok" line, not
				// the test binary's own PASS line.
				if verbose || e.Output != "PASS\n" {
					io.WriteString(out, e.Output)
				}
			} else {
				if _, ok := held[key]; !ok {
					order = append(order, key)
				}
				held[key] = append(held[key], e.Output)
			}
			if t := strings.TrimSpace(e.Output); t != "" && !strings.HasPrefix(t, "---") && !strings.HasPrefix(t, "===") {
				lastLine[key] = t
			}
		case "pass":
			if e.Test != "" {
				c.Passed++
				delete(held, key)
			}
		case "skip":
			if e.Test != "" {
				c.Skipped++
				c.SkipReasons[key] = lastLine[key]
				delete(held, key)
			}
		case "fail":
			if e.Test != "" {
				c.Failed++
				failedTests[e.Package] = true
				flush(key)
				continue
			}
			if !failedTests[e.Package] {
				c.Failed++ // the package failed with no failed test
			}
			// A crash or a timeout: show what its tests printed.
			for _, k := range order {
				if strings.HasPrefix(k, e.Package+" ") {
					flush(k)
				}
			}
		}
	}
	return c, sc.Err()
}

func main() {
	countsFile := flag.String("counts", "", "append \"PASSED FAILED SKIPPED\" to this file")
	verbose := flag.Bool("v", false, "print every test's output, as go test -v does")
	flag.Parse()
	c, err := count(os.Stdin, os.Stdout, *verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testcount:", err)
		os.Exit(1)
	}
	if len(c.SkipReasons) > 0 {
		keys := make([]string, 0, len(c.SkipReasons))
		for k := range c.SkipReasons {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Println("skipped:")
		for _, k := range keys {
			fmt.Printf("  %s: %s\n", k, c.SkipReasons[k])
		}
	}
	if *countsFile != "" {
		f, err := os.OpenFile(*countsFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = fmt.Fprintf(f, "%d %d %d\n", c.Passed, c.Failed, c.Skipped)
			err = errorsJoin(err, f.Close())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "testcount:", err)
			os.Exit(1)
		}
	}
	if c.Failed > 0 {
		os.Exit(1)
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
