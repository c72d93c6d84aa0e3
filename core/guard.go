package core

import "fmt"

// checkResponse is the guard on what leaves [Run]: every identifier of the
// response must be non-empty and, when the processor's [Source] can identify
// records, one of the batch's own. Lambda fails the whole batch on an unknown
// identifier without saying why; batchkit says so with an
// an error matching [ErrInvalidResponse] instead.
//
// It costs nothing when no record failed, and otherwise one Identify per
// record up to the last one reported: responses built by [BuildResponse]
// list identifiers in the order of the records, so one merge walk over the
// records finds them all. Only a response in another order (a custom
// Response, Kafka's lowest offsets) falls back to an index of the response's
// identifiers (a map), probed with each record's identifier.
func (r *runner[R]) checkResponse(resp Response) error {
	f := resp.BatchItemFailures
	if len(f) == 0 {
		return nil
	}
	for k := range f {
		if !f[k].ItemIdentifier.Valid() {
			return fmt.Errorf("%w: batchItemFailures[%d] is empty", ErrInvalidResponse, k)
		}
	}
	identify := r.plan.Source.Identify
	if identify == nil {
		return nil // the processor cannot say what its records' identifiers are
	}
	recs := r.b.Records
	// Merge walk: each entry is matched by the next record with its
	// identifier.
	j := 0
	k := 0
	for ; k < len(f) && j < len(recs); j++ {
		if identify(&recs[j]) == f[k].ItemIdentifier {
			k++
		}
	}
	if k == len(f) {
		return nil
	}
	// Another order: index the response and probe it with every record.
	first := make(map[Identifier]int, len(f)) // identifier -> its first entry
	for k := range f {
		if _, ok := first[f[k].ItemIdentifier]; !ok {
			first[f[k].ItemIdentifier] = k
		}
	}
	found := make([]bool, len(f))
	for j := range recs {
		if k, ok := first[identify(&recs[j])]; ok {
			found[k] = true
		}
	}
	for k := range f {
		if !found[first[f[k].ItemIdentifier]] {
			return fmt.Errorf("%w: batchItemFailures[%d] = %q is not the identifier of any record of the batch", ErrInvalidResponse, k, f[k].ItemIdentifier.String())
		}
	}
	return nil
}
