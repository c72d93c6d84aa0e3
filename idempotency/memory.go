package idempotency

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a [Store] in memory, for unit tests of functions that use
// idempotency: it follows the same rules as [*DynamoDBStore] within one
// process. The zero value is ready to use.
type MemoryStore struct {
	mu    sync.Mutex
	items map[string]memItem
}

type memItem struct {
	completed bool
	owner     string
	hash      string
	until     time.Time // in progress: the claim's expiry; completed: the TTL
	result    []byte
}

// NewMemoryStore returns an empty [MemoryStore].
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Claim implements [Store].
func (s *MemoryStore) Claim(_ context.Context, c Claim) (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it, ok := s.items[c.Key]; ok && it.until.After(c.Now) && (it.completed || it.owner != c.Owner) {
		if it.completed {
			return State{Status: StatusCompleted, Hash: it.hash, Result: slices.Clone(it.result)}, nil
		}
		return State{Status: StatusInProgress, Hash: it.hash, Until: it.until}, nil
	}
	if s.items == nil {
		s.items = map[string]memItem{}
	}
	s.items[c.Key] = memItem{owner: c.Owner, hash: c.Hash, until: c.Until}
	return State{Status: StatusClaimed, Hash: c.Hash}, nil
}

// Complete implements [Store].
func (s *MemoryStore) Complete(_ context.Context, c Claim, expires time.Time, result []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[c.Key]
	if !ok || it.completed || it.owner != c.Owner {
		return ErrClaimLost
	}
	s.items[c.Key] = memItem{completed: true, hash: it.hash, until: expires, result: slices.Clone(result)}
	return nil
}

// Release implements [Store].
func (s *MemoryStore) Release(_ context.Context, c Claim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[c.Key]
	if !ok || it.completed || it.owner != c.Owner {
		return ErrClaimLost
	}
	delete(s.items, c.Key)
	return nil
}
