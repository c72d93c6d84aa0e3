// Package inflate reads compressed payloads (CloudWatch Logs gzip, AWS Glue
// zlib) into memory with two bounds: a per-payload cap, which a buffer grows
// to and no further, and a process-wide budget for the inflations that run at
// once, so that a record that inflates beyond its cap (a "zip bomb") fails
// alone without exhausting the function's memory, even when many records are
// inflated concurrently.
//
// Each inflation grows its buffer freely up to [Free] bytes; beyond that it
// first reserves its whole cap from the budget ([Budget] bytes), waiting while
// other inflations hold it, and releases the reservation when it returns. The
// bytes held by inflation buffers at once are therefore at most
// Budget + n×Free for n concurrent inflations (plus, while a buffer grows,
// the buffer it replaces: at most half of the new one).
package inflate

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

const (
	// Free is what an inflation may hold without a reservation.
	Free = 1 << 20
	// Budget bounds the bytes reserved by all inflations at once beyond
	// Free each: 16 MiB, two CloudWatch Logs caps.
	Budget = 16 << 20
)

// budget is a weighted semaphore of Budget bytes (the standard library
// only, so that envelope keeps to it).
var budget = struct {
	mu   sync.Mutex
	cond *sync.Cond
	free int64
}{free: Budget}

func init() { budget.cond = sync.NewCond(&budget.mu) }

func acquire(n int64) {
	budget.mu.Lock()
	for budget.free < n {
		budget.cond.Wait()
	}
	budget.free -= n
	budget.mu.Unlock()
}

func release(n int64) {
	budget.mu.Lock()
	budget.free += n
	budget.mu.Unlock()
	budget.cond.Broadcast()
}

// held and peak count the bytes of inflation buffers alive at once (for
// tests: the bound is shown on them).
var held, peak atomic.Int64

// ErrTooLarge is returned when the data inflates beyond the cap.
var ErrTooLarge = errors.New("inflates beyond the limit")

// Read reads r to its end into one buffer of at most limit bytes, hint being
// the size to start with (the compressed size is a good guess). It returns
// an error wrapping ErrTooLarge as soon as r holds more than limit bytes,
// or r's error.
func Read(r io.Reader, limit, hint int) (out []byte, err error) {
	if limit > Budget {
		limit = Budget
	}
	// Start at cap/2^k, so that doubling reaches the cap exactly: a
	// rejected payload allocates at most 2 caps in all, 1.5 at once.
	c, want := limit+1, min(max(hint, 512), Free)
	for c > want {
		c = (c + 1) / 2
	}
	buf := make([]byte, 0, c)
	track(int64(c))
	reserved := false
	defer func() {
		track(-int64(cap(buf)))
		if reserved {
			release(int64(limit))
		}
	}()
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
			}
			n := min(2*cap(buf), limit+1)
			if n > Free && !reserved {
				acquire(int64(limit))
				reserved = true
			}
			grown := make([]byte, len(buf), n)
			track(int64(n))
			copy(grown, buf)
			track(-int64(cap(buf)))
			buf = grown
		}
		k, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if rerr == io.EOF {
			if len(buf) > limit {
				return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
			}
			// The caller keeps buf: it no longer counts as held once
			// returned, as the deferred track says.
			return buf, nil
		}
		if rerr != nil {
			return nil, rerr
		}
	}
}

func track(d int64) {
	n := held.Add(d)
	for {
		p := peak.Load()
		if n <= p || peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// ResetPeak returns the peak of the bytes held by inflation buffers at once
// since the last call, and starts a new measurement.
func ResetPeak() int64 { return peak.Swap(held.Load()) }
