package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCount(t *testing.T) {
	cases := []struct {
		name  string
		input string
		want  Counts
		out   string
	}{{
		name: "pass, fail, skip, subtests",
		input: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    x_test.go:3: fauxqs is not running\n"}
{"Action":"output","Package":"p","Test":"TestB","Output":"--- SKIP: TestB (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"pass","Package":"p","Test":"TestC/sub"}
{"Action":"fail","Package":"p","Test":"TestC/other"}
{"Action":"fail","Package":"p","Test":"TestC"}
{"Action":"fail","Package":"p"}
`,
		want: Counts{Passed: 2, Failed: 2, Skipped: 1, SkipReasons: map[string]string{"p TestB": "x_test.go:3: fauxqs is not running"}},
		out:  "",
	}, {
		name: "a package that does not build",
		input: `# p
p/x.go:1: syntax error
{"Action":"output","Package":"p","Output":"FAIL\tp [build failed]\n"}
{"Action":"fail","Package":"p"}
{"Action":"pass","Package":"q"}
`,
		want: Counts{Failed: 1, SkipReasons: map[string]string{}},
		out:  "# p\np/x.go:1: syntax error\nFAIL\tp [build failed]\n",
	}, {
		name:  "no tests",
		input: `{"Action":"output","Package":"p","Output":"?   \tp\t[no test files]\n"}` + "\n" + `{"Action":"skip","Package":"p"}` + "\n",
		want:  Counts{SkipReasons: map[string]string{}},
		out:   "?   \tp\t[no test files]\n",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := count(strings.NewReader(c.input), &out, false)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			require.Equal(t, c.out, out.String())
		})
	}
}

// Without -v only the failed tests' output and the packages' lines are
// printed, as go test prints them; with -v, everything.
func TestCountOutput(t *testing.T) {
	input := `{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Test":"TestB","Output":"=== RUN   TestB\n"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: boom\n"}
{"Action":"output","Package":"p","Test":"TestB","Output":"--- FAIL: TestB (0.00s)\n"}
{"Action":"fail","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.01s\n"}
{"Action":"fail","Package":"p"}
{"Action":"output","Package":"q","Test":"TestC","Output":"=== RUN   TestC\n"}
{"Action":"output","Package":"q","Test":"TestC","Output":"panic: oops\n"}
{"Action":"output","Package":"q","Output":"FAIL\tq\t0.01s\n"}
{"Action":"fail","Package":"q"}
`
	var quiet bytes.Buffer
	c, err := count(strings.NewReader(input), &quiet, false)
	require.NoError(t, err)
	require.Equal(t, 1, c.Passed)
	require.Equal(t, 2, c.Failed) // TestB, and package q's crash
	require.Equal(t, "=== RUN   TestB\n    b_test.go:9: boom\n--- FAIL: TestB (0.00s)\nFAIL\tp\t0.01s\nFAIL\tq\t0.01s\n=== RUN   TestC\npanic: oops\n", quiet.String())

	var verbose bytes.Buffer
	_, err = count(strings.NewReader(input), &verbose, true)
	require.NoError(t, err)
	require.Contains(t, verbose.String(), "--- PASS: TestA")
}
