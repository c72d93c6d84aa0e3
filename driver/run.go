package driver

import (
	"context"
	"sync"
	"time"
)

// Report is what one mapping did in a [Run].
type Report struct {
	// Mapping is the mapping's name, "<function>/<event>".
	Mapping string `json:"mapping"`
	// Type is the event source type: SQS, Kinesis, DynamoDB, MSK or
	// SelfManagedKafka.
	Type string `json:"type"`
	// Source is the queue URL, stream name or table name.
	Source string `json:"source"`
	// OnFailureDestination is the on-failure destination as the template
	// names it (a logical ID, or "kafka://<topic>"); empty when none.
	OnFailureDestination string `json:"onFailureDestination,omitempty"`
	// Stats are the mapping's counters.
	Stats
}

// RunOptions says how long [Run] goes on.
type RunOptions struct {
	// Idle stops a mapping after this many polls in a row found nothing; 0
	// means 3.
	Idle int
	// Pause is the wait after an empty poll; 0 means 200 ms.
	Pause time.Duration
	// WaitInFlight keeps an SQS mapping polling while its queue has
	// messages in flight (reported failures waiting for their visibility
	// timeout), so that their retries, and their move to the dead-letter
	// queue, happen before Run returns.
	WaitInFlight bool
	// OnBatch, if set, sees every batch as it is done (from several
	// goroutines, one per mapping).
	OnBatch func(m *OpenMapping, b Batch)
}

// Run polls every enabled mapping at once, each until idle (Idle polls in a
// row delivered nothing and, for streams, nothing is pending: no retry to
// come, no tumbling window open), invoking fn, and returns one report per
// mapping, in order. An error of a source stops
// its mapping and is returned (the first one) with the reports.
func Run(ctx context.Context, mappings []*OpenMapping, fn Function, opts RunOptions) ([]Report, error) {
	idle := opts.Idle
	if idle <= 0 {
		idle = 3
	}
	pause := opts.Pause
	if pause <= 0 {
		pause = 200 * time.Millisecond
	}
	errs := make([]error, len(mappings))
	var wg sync.WaitGroup
	for i, m := range mappings {
		if !m.Enabled {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for empty := 0; empty < idle; {
				if ctx.Err() != nil {
					return
				}
				batches, err := m.Poller.Poll(ctx, fn)
				for _, b := range batches {
					if opts.OnBatch != nil {
						opts.OnBatch(m, b)
					}
				}
				if err != nil {
					errs[i] = err
					return
				}
				if len(batches) > 0 {
					empty = 0
					continue
				}
				if !busy(ctx, m.Poller, opts.WaitInFlight) {
					empty++
				}
				select {
				case <-ctx.Done():
				case <-time.After(pause):
				}
			}
		}()
	}
	wg.Wait()
	reports := make([]Report, len(mappings))
	var first error
	for i, m := range mappings {
		reports[i] = Report{Mapping: m.Name(), Type: m.Type, Source: m.SourceName, OnFailureDestination: m.OnFailureDestination, Stats: m.Stats()}
		if errs[i] != nil && first == nil {
			first = errs[i]
		}
	}
	return reports, first
}

// busy reports whether a poller has work to come although its last poll
// delivered nothing: a stream's pending retry or open window, or (with
// waitInFlight) an SQS queue's messages in flight.
func busy(ctx context.Context, p Poller, waitInFlight bool) bool {
	if s, ok := p.(interface{ Pending() bool }); ok && s.Pending() {
		return true
	}
	if q, ok := p.(interface {
		InFlight(context.Context) (int, error)
	}); ok && waitInFlight {
		n, err := q.InFlight(ctx)
		return err == nil && n > 0
	}
	return false
}
