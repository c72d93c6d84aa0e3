package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The hook registry lets configuration name hooks ("log", "otel",
// "sentry") without core, or the processors package, importing any hook
// module: a hook module's init, or the user's main, registers a factory under
// a name with [RegisterHook], and configuration (for example
// config.OpenEnv reading BATCHKIT_HOOKS) turns names into hooks with
// [NewHook]. It lives in core, the one package every hook module already
// depends on, so that a hook module can register itself without importing
// anything else: the database/sql.Register pattern.

// ErrUnknownHook: no hook is registered under the name. Matched by
// [*UnknownHookError] with errors.Is.
var ErrUnknownHook = errors.New("batchkit: unknown hook name")

// HookFactory creates a hook for one processor. It is called each time a
// configuration names the hook; an error stops the configuration.
type HookFactory func() (Hook, error)

var hookRegistry struct {
	sync.RWMutex
	factories map[string]HookFactory
}

// RegisterHook makes a hook available by name to configuration. It panics
// if name is empty, factory is nil, or a hook is already registered under
// name (like database/sql.Register): two modules claiming one name is a
// programming error that must not pass silently.
func RegisterHook(name string, factory HookFactory) {
	if name == "" || strings.ContainsAny(name, ", \t\n") {
		panic(fmt.Sprintf("batchkit: RegisterHook: invalid hook name %q (it must be non-empty, without commas or spaces)", name))
	}
	if factory == nil {
		panic(fmt.Sprintf("batchkit: RegisterHook: nil factory for hook %q", name))
	}
	hookRegistry.Lock()
	defer hookRegistry.Unlock()
	if _, dup := hookRegistry.factories[name]; dup {
		panic(fmt.Sprintf("batchkit: RegisterHook called twice for hook %q", name))
	}
	if hookRegistry.factories == nil {
		hookRegistry.factories = make(map[string]HookFactory)
	}
	hookRegistry.factories[name] = factory
}

// HookNames returns the names of the registered hooks, sorted.
func HookNames() []string {
	hookRegistry.RLock()
	defer hookRegistry.RUnlock()
	names := make([]string, 0, len(hookRegistry.factories))
	for name := range hookRegistry.factories {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// NewHook creates the hook registered under name. An unknown name is an
// [*UnknownHookError] listing the registered names; a factory error is
// returned wrapped, naming the hook.
func NewHook(name string) (Hook, error) {
	hookRegistry.RLock()
	factory, ok := hookRegistry.factories[name]
	hookRegistry.RUnlock()
	if !ok {
		return nil, &UnknownHookError{Name: name, Registered: HookNames()}
	}
	h, err := factory()
	if err != nil {
		return nil, fmt.Errorf("batchkit: hook %q could not be created: %w", name, err)
	}
	if h == nil {
		return nil, fmt.Errorf("batchkit: hook %q: its factory returned a nil hook and no error", name)
	}
	return h, nil
}

// UnknownHookError is returned by [NewHook] for a name no hook is registered
// under.
type UnknownHookError struct {
	// Name is the unknown name.
	Name string
	// Registered lists the registered names, sorted.
	Registered []string
}

func (e *UnknownHookError) Error() string {
	if len(e.Registered) == 0 {
		return fmt.Sprintf("batchkit: unknown hook %q: no hook is registered; import a hook module or call core.RegisterHook in main before configuring", e.Name)
	}
	return fmt.Sprintf("batchkit: unknown hook %q; registered hooks: %s (register more with core.RegisterHook)", e.Name, strings.Join(e.Registered, ", "))
}

// Is matches [ErrUnknownHook].
func (e *UnknownHookError) Is(target error) bool { return target == ErrUnknownHook }
