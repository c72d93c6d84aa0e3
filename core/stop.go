package core

import (
	"context"
	"time"
)

// readKeys reads every record's ordering key once, on the caller's
// goroutine. A Source.Key that panics fails its record (a [*PanicError]) and
// makes its key unknown.
func (r *runner[R]) readKeys() {
	n := len(r.b.Records)
	r.keys = make([]string, n)
	key := r.plan.Source.Key
	for i := 0; i < n; i++ {
		i = r.readKeysFrom(key, i)
	}
}

// readKeysFrom reads the keys from i on until one panics; it returns the
// position of the record whose key panicked (or the last one). A record with
// the same key as the one before it ([Source.SameKey]) shares its string.
// A panic in SameKey is taken as a panic of Key.
func (r *runner[R]) readKeysFrom(key func(*R) string, i int) (last int) {
	defer func() {
		if v := recover(); v != nil {
			last = i
			r.failUnknownKey(i, newPanicErrorAt("Source.Key", v))
		}
	}()
	recs, keys := r.b.Records, r.keys
	same := r.plan.Source.SameKey
	from := i // the key before from, if any, panicked: never shared
	for ; i < len(recs); i++ {
		if same != nil && i > from && same(&recs[i-1], &recs[i]) {
			keys[i] = keys[i-1] // one string per run of records of a key
			continue
		}
		keys[i] = key(&recs[i])
	}
	return i
}

// failUnknownKey fails record i (unless it already has an outcome) and
// makes its key unknown.
func (r *runner[R]) failUnknownKey(i int, err error) {
	if r.b.Outcomes[i].Status == StatusPending {
		r.b.Outcomes[i] = Failure(err)
	}
	if r.b.unknownKey == 0 || i+1 < r.b.unknownKey {
		r.b.unknownKey = i + 1
	}
}

// stopAfterUnknownKey short-circuits, under [StopKey], every record with a
// non-empty key after the first failed record whose key is unknown: any of
// them may share it.
func (r *runner[R]) stopAfterUnknownKey() {
	if r.b.unknownKey == 0 || r.plan.Source.Stop != StopKey {
		return
	}
	u := r.b.unknownKey - 1
	var err *UnhandledError
	outs := r.b.Outcomes
	for j := u + 1; j < len(outs); j++ {
		if outs[j].Status == StatusPending && r.keys[j] != "" {
			if err == nil {
				err = &UnhandledError{Reason: ErrShortCircuit, FailedPosition: u, KeyUnknown: true}
			}
			outs[j] = Outcome{Status: StatusNotStarted, Err: err}
		}
	}
}

// key returns record i's ordering key, or "" when the source has none.
func (r *runner[R]) key(i int) string {
	if r.keys != nil {
		return r.keys[i]
	}
	if r.plan.Source.Key == nil {
		return ""
	}
	return r.plan.Source.Key(&r.b.Records[i])
}

// schedule gives every record an outcome, in one of two ways:
//   - one after another, in input order: no concurrency, a single record, or
//     [StopBatch] (stopping the batch at its first failure needs that order);
//   - on a fixed set of at most Concurrency workers (see pool) pulling
//     positions in input order; with OrderByKey (always with [StopKey]) the
//     records of one non-empty key run one after another in input order.
//

type stopState struct {
	failed   bool
	failedAt int
	// batchErr is the one error of every record stopped under StopBatch.
	batchErr   *UnhandledError
	keyFailure map[string]int
}

func (r *runner[R]) blocked(i int, st *stopState) error {
	if r.done != nil && r.ctx.Err() != nil {
		return r.notStarted()
	}
	if st != nil {
		switch r.plan.Source.Stop {
		case StopBatch:
			if st.failed {
				if st.batchErr == nil {
					st.batchErr = &UnhandledError{Reason: ErrShortCircuit, FailedPosition: st.failedAt}
				}
				return st.batchErr
			}
		case StopKey:
			if st.keyFailure != nil {
				if k := r.key(i); k != "" {
					if at, ok := st.keyFailure[k]; ok {
						return &UnhandledError{Reason: ErrShortCircuit, FailedPosition: at, Key: k}
					}
				}
			}
		}
	}
	return nil
}

func (r *runner[R]) isDone() bool {
	return r.done != nil && r.ctx.Err() != nil
}

func (r *runner[R]) notStarted() error {
	if r.margin > 0 {
		if left := time.Until(r.deadline); left < r.margin {
			return &UnhandledError{Reason: ErrDeadline, Remaining: left, Margin: r.margin}
		}
	}
	return &UnhandledError{Reason: ErrCanceled, Cause: context.Cause(r.ctx)}
}

func (st *stopState) fail(stop StopPolicy, key string, i int) {
	switch stop {
	case StopBatch:
		if !st.failed {
			st.failed, st.failedAt = true, i
		}
	case StopKey:
		if key == "" {
			return
		}
		if st.keyFailure == nil {
			st.keyFailure = make(map[string]int)
		}
		if _, ok := st.keyFailure[key]; !ok {
			st.keyFailure[key] = i
		}
	}
}
