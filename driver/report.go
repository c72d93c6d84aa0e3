package driver

import (
	"fmt"
	"io"
	"sync"
)

// Stats counts what an event source mapping did, for the report that
// batchkit-driver prints per mapping.
type Stats struct {
	// Batches are the distinct batches delivered (a retried batch counts
	// once, each half of a bisected batch once).
	Batches int `json:"batches"`
	// Records are the records read from the source (filtered ones too).
	Records int `json:"records"`
	// Invocations are all the invocations, retries included.
	Invocations int `json:"invocations"`
	// Retries are the invocations that delivered a batch again.
	Retries int `json:"retries"`
	// Bisections are the failed batches split in two (streams).
	Bisections int `json:"bisections"`
	// Filtered are the records that FilterCriteria dropped (skipped, or
	// deleted from an SQS queue).
	Filtered int `json:"filtered"`
	// Succeeded are the records whose processing the function reported
	// successful.
	Succeeded int `json:"succeeded"`
	// OnFailure are the records skipped after their retries or for their
	// age (streams), whether an on-failure destination received their
	// invocation record or not.
	OnFailure int `json:"onFailure"`
	// RecordAgeExceeded are the OnFailure records discarded for their age
	// without an invocation.
	RecordAgeExceeded int `json:"recordAgeExceeded"`
	// DeadLetter are the SQS messages that failed at their queue's
	// maxReceiveCount: the queue's redrive policy moves them to its
	// dead-letter queue.
	DeadLetter int `json:"deadLetter"`
}

// statsBox guards a mapping's Stats.
type statsBox struct {
	mu sync.Mutex
	s  Stats
}

func (b *statsBox) add(f func(*Stats)) {
	b.mu.Lock()
	f(&b.s)
	b.mu.Unlock()
}

func (b *statsBox) get() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s
}

// WriteReport prints one mapping's stats as a line of text.
func WriteReport(w io.Writer, name string, s Stats) error {
	_, err := fmt.Fprintf(w, "%s: batches=%d records=%d invocations=%d retries=%d bisections=%d filtered=%d succeeded=%d on-failure=%d (record-age=%d) dead-letter=%d\n",
		name, s.Batches, s.Records, s.Invocations, s.Retries, s.Bisections, s.Filtered, s.Succeeded, s.OnFailure, s.RecordAgeExceeded, s.DeadLetter)
	return err
}

// WriteText prints the report as one line: the mapping, its type and
// source, its stats and, when it has one, its on-failure destination by
// the name the template gives it.
func (r Report) WriteText(w io.Writer) error {
	line := fmt.Sprintf("%s (%s %s): batches=%d records=%d invocations=%d retries=%d bisections=%d filtered=%d succeeded=%d on-failure=%d (record-age=%d) dead-letter=%d",
		r.Mapping, r.Type, r.Source, r.Batches, r.Records, r.Invocations, r.Retries, r.Bisections, r.Filtered, r.Succeeded, r.OnFailure, r.RecordAgeExceeded, r.DeadLetter)
	if r.OnFailureDestination != "" {
		line += " on-failure-destination=" + r.OnFailureDestination
	}
	_, err := fmt.Fprintln(w, line)
	return err
}
