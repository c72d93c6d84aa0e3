package kafkapayload

import (
	"bytes"
	"compress/zlib"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/batchkit/batchkit/internal/inflate"
)

func zlibZeros(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := zw.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGlueZlibBombPeakHeap: an AWS Glue payload that inflates to 256 MiB is
// rejected with the default bound (6 MiB) allocating at most 2 bounds in all
// (runtime.MemStats.TotalAlloc, an upper bound of the peak heap it adds);
// eight at once hold at most the process-wide budget plus 1 MiB each.
func TestGlueZlibBombPeakHeap(t *testing.T) {
	glue := append([]byte{3, 5}, make([]byte, 16)...)
	bomb := append(glue, zlibZeros(t, 4*maxInflatedSize)...) // inflation stops at the bound: a bigger bomb costs the same
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := Unframe(bomb, WireAuto, false)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("bomb of %d bytes: %d bytes allocated while rejecting it (bound %d)", len(bomb), alloc, maxInflatedSize)
	if alloc > uint64(2*maxInflatedSize+1<<20) {
		t.Fatalf("allocated %d bytes, more than 2 bounds", alloc)
	}
	inflate.ResetPeak()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, _, err := Unframe(bomb, WireAuto, false); !errors.Is(err, ErrTooLarge) {
				t.Errorf("err = %v", err)
			}
		})
	}
	wg.Wait()
	peak := inflate.ResetPeak()
	bound := int64(inflate.Budget + 8*inflate.Free + maxInflatedSize/2 + 1)
	t.Logf("8 at once: peak %d bytes held by inflation buffers (bound %d)", peak, bound)
	if peak > bound {
		t.Fatalf("peak %d > %d", peak, bound)
	}
}
