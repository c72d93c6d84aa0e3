package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

type namedHook struct {
	core.NopHook
	name string
}

func init() {
	core.RegisterHook("test-registry-ok", func() (core.Hook, error) { return &namedHook{name: "ok"}, nil })
	core.RegisterHook("test-registry-fails", func() (core.Hook, error) { return nil, errors.New("no collector address") })
	core.RegisterHook("test-registry-nil", func() (core.Hook, error) { return nil, nil })
}

func TestNewHook(t *testing.T) {
	tests := []struct {
		name    string
		hook    string
		wantErr []string
		is      error
	}{
		{name: "registered", hook: "test-registry-ok"},
		{name: "unknown lists registered", hook: "nope", is: core.ErrUnknownHook,
			wantErr: []string{`unknown hook "nope"`, "test-registry-ok", "test-registry-fails", "core.RegisterHook"}},
		{name: "factory error", hook: "test-registry-fails", wantErr: []string{`hook "test-registry-fails" could not be created`, "no collector address"}},
		{name: "nil hook", hook: "test-registry-nil", wantErr: []string{"nil hook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := core.NewHook(tt.hook)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.Equal(t, "ok", h.(*namedHook).name)
				return
			}
			require.Error(t, err)
			require.Nil(t, h)
			for _, s := range tt.wantErr {
				require.Contains(t, err.Error(), s)
			}
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
				var ue *core.UnknownHookError
				require.ErrorAs(t, err, &ue)
				require.Equal(t, tt.hook, ue.Name)
			}
		})
	}
}

func TestHookNamesSorted(t *testing.T) {
	names := core.HookNames()
	require.Subset(t, names, []string{"test-registry-fails", "test-registry-nil", "test-registry-ok"})
	require.IsIncreasing(t, names)
}

func TestRegisterHookPanics(t *testing.T) {
	ok := func() (core.Hook, error) { return core.NopHook{}, nil }
	tests := []struct {
		name    string
		hook    string
		factory core.HookFactory
		want    string
	}{
		{name: "duplicate", hook: "test-registry-ok", factory: ok, want: `called twice for hook "test-registry-ok"`},
		{name: "empty name", hook: "", factory: ok, want: "invalid hook name"},
		{name: "comma in name", hook: "a,b", factory: ok, want: "invalid hook name"},
		{name: "nil factory", hook: "test-registry-nil-factory", factory: nil, want: "nil factory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.PanicsWithValue(t, "batchkit: "+panicText(tt.want, tt.hook), func() { core.RegisterHook(tt.hook, tt.factory) })
		})
	}
}

// panicText rebuilds RegisterHook's panic message for the wanted fragment.
func panicText(fragment, name string) string {
	switch fragment {
	case "invalid hook name":
		return fmt.Sprintf("RegisterHook: invalid hook name %q (it must be non-empty, without commas or spaces)", name)
	case "nil factory":
		return fmt.Sprintf("RegisterHook: nil factory for hook %q", name)
	}
	return "RegisterHook " + fragment
}

// A hook module (or main) registers its hook under a name; configuration
// then creates it by name, for example from BATCHKIT_HOOKS.
func ExampleRegisterHook() {
	core.RegisterHook("example-count", func() (core.Hook, error) { return &countFailures{}, nil })

	h, err := core.NewHook("example-count")
	fmt.Println(h != nil, err)
	_, err = core.NewHook("example-cuont")
	fmt.Println(errors.Is(err, core.ErrUnknownHook))
	// Output:
	// true <nil>
	// true
}

// countFailures counts failed records; safe for concurrent use, as hooks
// must be.
type countFailures struct {
	core.NopHook
	n atomic.Int64
}

func (c *countFailures) RecordEnd(_ context.Context, info core.RecordInfo) {
	if info.Outcome.Failed() {
		c.n.Add(1)
	}
}
