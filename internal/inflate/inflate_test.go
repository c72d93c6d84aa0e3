package inflate

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
)

func TestReadBounds(t *testing.T) {
	const limit = 3 << 20
	for _, tc := range []struct {
		n    int
		fail bool
	}{{0, false}, {1, false}, {limit, false}, {limit + 1, true}, {4 * limit, true}} {
		out, err := Read(bytes.NewReader(make([]byte, tc.n)), limit, 100)
		if tc.fail != errors.Is(err, ErrTooLarge) {
			t.Fatalf("n=%d: err %v", tc.n, err)
		}
		if !tc.fail && len(out) != tc.n {
			t.Fatalf("n=%d: read %d", tc.n, len(out))
		}
	}
	if _, err := Read(errReader{}, limit, 100); err == nil || errors.Is(err, ErrTooLarge) {
		t.Fatalf("reader error lost: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// Many inflations beyond Free at once all finish (each reserves its whole
// cap once, so none waits for more while holding some), and the bytes held
// at once stay under the budget plus Free each.
func TestReadBudgetUnderConcurrency(t *testing.T) {
	const limit = 6 << 20
	input := make([]byte, limit+10)
	ResetPeak()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := Read(bytes.NewReader(input), limit, 1); !errors.Is(err, ErrTooLarge) {
				t.Errorf("err %v", err)
			}
		})
	}
	wg.Wait()
	if p := ResetPeak(); p > Budget+16*Free+limit/2+1 {
		t.Fatalf("peak %d", p)
	}
	if budget.free != Budget {
		t.Fatalf("budget not returned: %d", budget.free)
	}
}
