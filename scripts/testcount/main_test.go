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
		out:  "=== RUN   TestA\n    x_test.go:3: fauxqs is not running\n--- SKIP: TestB (0.00s)\n",
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
			got, err := count(strings.NewReader(c.input), &out)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			require.Equal(t, c.out, out.String())
		})
	}
}
