package envelope

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGunzipLimit: data that inflates beyond the limit fails instead of
// exhausting memory; data at the limit passes. The limit is lowered so the
// test runs fast under -race; MaxLogsDataSize works the same way.
func TestGunzipLimit(t *testing.T) {
	defer func(old int64) { maxLogsData = old }(maxLogsData)
	maxLogsData = 1 << 20
	zip := func(n int) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write(make([]byte, n))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return buf.Bytes()
	}
	out, err := gunzip(zip(1 << 20))
	require.NoError(t, err)
	require.Len(t, out, 1<<20)
	bomb := zip(1<<20 + 1)
	require.Less(t, len(bomb), 2048)
	_, err = gunzip(bomb)
	require.ErrorContains(t, err, "inflates beyond 1048576 bytes")
	// A concatenated (multi-member) gzip stream counts as a whole.
	_, err = gunzip(append(zip(1<<19), zip(1<<19+1)...))
	require.ErrorContains(t, err, "inflates beyond")
}
