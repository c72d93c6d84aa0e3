package core

// checkResponse is the guard on what leaves [Run]: every identifier of the
// response must be non-empty and, when the processor's [Source] can identify
// records, one of the batch's own. Lambda fails the whole batch on an unknown
// identifier without saying why; batchkit says so with an
// [*InvalidResponseError] instead.
//
// It costs nothing when no record failed, and otherwise one Identify per
// record up to the last one reported: responses built by [BuildResponse]
// list identifiers in the order of the records, so one merge walk over the
// records finds them all. Only a response in another order (a custom
// Response, Kafka's lowest offsets) falls back to an index of the response's
// identifiers, the same open-addressing table BuildResponse uses, probed
// with each record's identifier.
func (r *runner[R]) checkResponse(resp Response) error {
	f := resp.BatchItemFailures
	if len(f) == 0 {
		return nil
	}
	for k := range f {
		if !f[k].ItemIdentifier.Valid() {
			return &InvalidResponseError{Index: k, Identifier: f[k].ItemIdentifier, Problem: "is empty"}
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
	var idx idSet
	idx.expected = len(f)
	idx.rebuild(f[:0])
	first := make([]int, len(f)) // entry -> first entry with its identifier
	for k := range f {
		first[k] = idx.find(f, f[k].ItemIdentifier)
		if first[k] < 0 {
			first[k] = k
			idx.insert(f, k)
		}
	}
	found := make([]bool, len(f))
	for j := range recs {
		if k := idx.find(f, identify(&recs[j])); k >= 0 {
			found[k] = true
		}
	}
	for k := range f {
		if !found[first[k]] {
			return &InvalidResponseError{Index: k, Identifier: f[k].ItemIdentifier, Problem: "is not the identifier of any record of the batch"}
		}
	}
	return nil
}

// find returns the position in listed of an entry equal to id, or -1; the
// table indexes listed (see insert).
func (s *idSet) find(listed []BatchItemFailure, id Identifier) int {
	mask := uint64(len(s.table) - 1)
	for h := hashID(id) & mask; ; h = (h + 1) & mask {
		e := s.table[h]
		if e == 0 {
			return -1
		}
		if listed[e-1].ItemIdentifier == id {
			return int(e - 1)
		}
	}
}

// insert indexes listed[k], which find does not know yet.
func (s *idSet) insert(listed []BatchItemFailure, k int) {
	mask := uint64(len(s.table) - 1)
	h := hashID(listed[k].ItemIdentifier) & mask
	for s.table[h] != 0 {
		h = (h + 1) & mask
	}
	s.table[h] = int32(k + 1)
	s.used++
}
