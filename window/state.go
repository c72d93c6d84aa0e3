package window

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/batchkit/batchkit/core"
)

// invocation is one window invocation's own state: the aggregate, the
// incoming properties and the state being folded.
type invocation[R, S any] struct {
	agg           Aggregate[R, S]
	props         Properties
	maxStateBytes int
	// plain: S holds no pointers, so a copy taken before a fold restores
	// it when the fold fails.
	plain bool

	state S
	// dirty: a fold failed and may have left part of its effect in state.
	dirty bool
	// data is the encoded state, once finished.
	data []byte
}

// fold is the record handler: agg.Fold, undoing a failed fold's effect (at
// once for a plain state, by a rebuild in finish otherwise). The lifecycle
// calls it through foldRecord; the batch's handler is fold too, for
// completeness.
func (w *invocation[R, S]) fold(ctx context.Context, r *R) error {
	o := w.foldRecord(ctx, r)
	return o.Err
}

// foldRecord folds record r and returns its outcome: a failure with Fold's
// error, or with a [*core.PanicError] when Fold panicked (recovered here,
// in the one deferred call a record costs, which also undoes the failed
// fold's effect).
func (w *invocation[R, S]) foldRecord(ctx context.Context, r *R) (o core.Outcome) {
	var prev S
	if w.plain {
		prev = w.state
	}
	ok := false
	defer func() {
		if ok {
			return
		}
		if w.plain {
			w.state = prev
		} else {
			w.dirty = true
		}
		if v := recover(); v != nil {
			o = core.Failure(core.NewPanicError(v))
		}
	}()
	if err := w.agg.Fold(ctx, &w.state, r); err != nil {
		return core.Failure(err)
	}
	ok = true
	return core.Outcome{Status: core.StatusSuccess}
}

// start decodes the incoming state (the lifecycle's Prepare).
func (w *invocation[R, S]) start() (err error) {
	w.state, err = decodeState[S](w.props.State)
	return err
}

// finish is the window's work once the records have run (the lifecycle's
// Response): rebuild the state after a failed fold, encode it, check its
// size and, on the final invocation with no failure, publish it.
func (w *invocation[R, S]) finish(ctx context.Context, b *core.Batch[R]) error {
	k := firstFailed(b.Outcomes)
	if k >= 0 && w.dirty {
		state, err := rebuildState(ctx, w.props.State, b.Records[:k], w.agg.Fold)
		if err != nil {
			return err
		}
		w.state = state
	}
	data, err := encodeState(w.state)
	if err != nil {
		return err
	}
	if len(data) > w.maxStateBytes {
		return stateTooLarge(len(data), w.maxStateBytes)
	}
	if w.props.IsFinalInvokeForWindow && k < 0 && w.agg.Publish != nil {
		if err := publish(ctx, w.agg.Publish, w.state, w.props); err != nil {
			return err
		}
	}
	w.data = data
	return nil
}

// firstFailed returns the position of the first record that is not a
// success, or -1.
func firstFailed(outs []core.Outcome) int {
	for i := range outs {
		if outs[i].Status != core.StatusSuccess {
			return i
		}
	}
	return -1
}

// rebuildState decodes the incoming state again and folds records (all of
// which succeeded) into it again.
func rebuildState[R, S any](ctx context.Context, raw json.RawMessage, records []R, fold func(context.Context, *S, *R) error) (state S, err error) {
	if state, err = decodeState[S](raw); err != nil {
		return state, err
	}
	i := 0
	defer func() {
		if v := recover(); v != nil {
			pe := core.NewPanicError(v)
			pe.Where = "window Fold (rebuilding the state)"
			err = &StateError{Op: "rebuild", Type: typeName[S](), Err: fmt.Errorf("record %d: %w", i, pe)}
		}
	}()
	for ; i < len(records); i++ {
		if err := fold(ctx, &state, &records[i]); err != nil {
			return state, &StateError{Op: "rebuild", Type: typeName[S](), Err: fmt.Errorf("record %d: %w", i, err)}
		}
	}
	return state, nil
}

// publish calls the aggregate's Publish, recovering a panic.
func publish[S any](ctx context.Context, f func(context.Context, S, Properties) error, state S, props Properties) (err error) {
	defer func() {
		if v := recover(); v != nil {
			pe := core.NewPanicError(v)
			pe.Where = "window Publish"
			err = publishFailed(pe)
		}
	}()
	if err := f(ctx, state, props); err != nil {
		return publishFailed(err)
	}
	return nil
}

// decodeState decodes the incoming state into an S, under recover: a
// panicking UnmarshalJSON of S is a [*StateError] whose cause is a
// [*core.PanicError]. No state, null and, for an S that is not a JSON
// object, {} (Lambda's state on a window's first invocation) give the zero
// S.
func decodeState[S any](raw json.RawMessage) (s S, err error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return s, nil
	}
	defer func() {
		if v := recover(); v != nil {
			pe := core.NewPanicError(v)
			pe.Where = "window state UnmarshalJSON"
			var zero S
			s, err = zero, &StateError{Op: "decode", Type: typeName[S](), Err: pe}
		}
	}()
	if err := json.Unmarshal(t, &s); err != nil {
		var zero S
		if isEmptyObject(t) {
			return zero, nil
		}
		return zero, &StateError{Op: "decode", Type: typeName[S](), Err: err}
	}
	return s, nil
}

// encodeState encodes the state, under recover: a panicking MarshalJSON of
// S is a [*StateError] whose cause is a [*core.PanicError].
func encodeState[S any](s S) (data []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			pe := core.NewPanicError(v)
			pe.Where = "window state MarshalJSON"
			data, err = nil, &StateError{Op: "encode", Type: typeName[S](), Err: pe}
		}
	}()
	if data, err = json.Marshal(s); err != nil {
		return nil, &StateError{Op: "encode", Type: typeName[S](), Err: err}
	}
	return data, nil
}

// isEmptyObject reports whether t is {} (with any inner whitespace).
func isEmptyObject(t []byte) bool {
	return len(t) >= 2 && t[0] == '{' && t[len(t)-1] == '}' && len(bytes.TrimSpace(t[1:len(t)-1])) == 0
}

func typeName[S any]() string { return reflect.TypeFor[S]().String() }

// pointerFree reports whether a value of type S can be copied by assignment
// into an independent snapshot.
func pointerFree[S any]() bool { return pointerFreeType(reflect.TypeFor[S]()) }

// pointerFreeType reports whether a value of type t can be copied by
// assignment into an independent snapshot: no pointer, map, slice,
// channel, function or interface inside (strings are immutable).
func pointerFreeType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return pointerFreeType(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFreeType(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}
