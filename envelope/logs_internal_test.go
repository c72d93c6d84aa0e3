package envelope

import (
	"bytes"
	"compress/gzip"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/internal/inflate"
)

func gzipZeros(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		_, err := zw.Write(chunk[:k])
		require.NoError(t, err)
		n -= k
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestGunzipLimit: data that inflates beyond the limit fails instead of
// exhausting memory; data at the limit passes.
func TestGunzipLimit(t *testing.T) {
	defer func(old int) { maxLogsData = old }(maxLogsData)
	maxLogsData = 1 << 20
	out, err := gunzip(gzipZeros(t, 1<<20))
	require.NoError(t, err)
	require.Len(t, out, 1<<20)
	bomb := gzipZeros(t, 1<<20+1)
	require.Less(t, len(bomb), 2048)
	_, err = gunzip(bomb)
	require.ErrorIs(t, err, inflate.ErrTooLarge)
	require.ErrorContains(t, err, "of 1048576 bytes")
	// A concatenated (multi-member) gzip stream counts as a whole.
	_, err = gunzip(append(gzipZeros(t, 1<<19), gzipZeros(t, 1<<19+1)...))
	require.ErrorIs(t, err, inflate.ErrTooLarge)
}

// TestGzipBombPeakHeap: a CloudWatch Logs record of ~254 KiB that inflates
// to 256 MiB is rejected, with the default cap (8 MiB), holding at most 1.5
// caps: measured as the bytes allocated while rejecting it
// (runtime.MemStats.TotalAlloc, an upper bound of the peak heap it adds).
// Eight at once hold, together, at most the process-wide budget plus 1 MiB
// each (measured by the inflation buffers' high-water mark).
func TestGzipBombPeakHeap(t *testing.T) {
	bomb := gzipZeros(t, 4*maxLogsData) // inflation stops at the cap: a bigger bomb costs the same
	t.Logf("bomb: %d bytes compressed, %d inflated, cap %d", len(bomb), 4*maxLogsData, maxLogsData)
	l := CloudWatchLogs()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := l.Unwrap(bomb)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, inflate.ErrTooLarge)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("alone: %d bytes allocated (cap %d)", alloc, maxLogsData)
	// The buffers double up to cap+1 byte: 2 caps in all, 1.5 at once.
	require.LessOrEqual(t, alloc, uint64(2*maxLogsData+1<<20))

	inflate.ResetPeak()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := l.Unwrap(bomb)
			require.ErrorIs(t, err, inflate.ErrTooLarge)
		})
	}
	wg.Wait()
	peak := inflate.ResetPeak()
	bound := int64(inflate.Budget + 8*inflate.Free + maxLogsData/2 + 1)
	t.Logf("8 at once: peak %d bytes held by inflation buffers (bound %d, 8 caps would be %d)", peak, bound, 8*maxLogsData)
	require.LessOrEqual(t, peak, bound)
	require.Less(t, peak, int64(8*maxLogsData))
}
