// Package logging is a batchkit hook that writes what happened to a batch
// with log/slog: one log record per failed record (its identifier, its
// position, the error, the chain of error types under it and, for a panic,
// the stack) and one summary per batch (records, succeeded, failed,
// duration). It uses the standard library only, and logs through the
// handler you configured: [slog.Default] unless [Config.Logger] names
// another, so a JSON handler on standard output gives CloudWatch Logs one
// JSON line per failure. Each record is logged with the invocation's
// context (your handler sees it, for example to add a trace id) and, when
// the context carries the Lambda invocation's (lambdacontext), the attribute
// function_request_id, as Powertools' Logger names it.
//
//	var processor = core.Must(processors.NewSQS(processors.Config{
//		Options: core.Options{Hooks: []core.Hook{logging.New(logging.Config{})}},
//	}))
//
// The package is named logging, not slog, so that a file using it can
// still import log/slog (to build the Logger it is given) without renaming
// either. Importing it also registers the hook under the name "log"
// ([HookName]) for configuration by name: BATCHKIT_HOOKS=log with
// config.OpenEnv turns it on with the default [Config].
//
// A record that succeeded is not logged; a record that was not handled
// because an earlier one failed (a FIFO or stream batch stops at its first
// failure) is logged as a failure with the error that says so. The hook
// changes no outcome and no response.
package logging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/batchkit/batchkit/core"
)

// HookName is the name the config package registers the hook under
// (BATCHKIT_HOOKS=log), with its zero Config.
const HookName = "log"

// The messages of the log records.
const (
	msgFailure = "batchkit: record failed"
	msgSummary = "batchkit: batch processed"
)

// Config configures a [Hook]. Its zero value logs failures at
// slog.LevelError and summaries at slog.LevelInfo to [slog.Default].
type Config struct {
	// Logger receives the records; nil is slog.Default() at the time of
	// each record (so a slog.SetDefault in main applies).
	Logger *slog.Logger
	// FailureLevel is the level of a failed record's log record; nil is
	// slog.LevelError. A *slog.LevelVar changes it at run time.
	FailureLevel slog.Leveler
	// SummaryLevel is the level of a batch's summary; nil is
	// slog.LevelInfo.
	SummaryLevel slog.Leveler
	// NoSummary turns the per-batch summary off.
	NoSummary bool
	// NoStack leaves the stack out of a panic's log record.
	NoStack bool
	// Attrs are added to every record the hook logs (for example the
	// service name).
	Attrs []slog.Attr
}

// Hook logs failures and batch summaries. Create it with [New]; it holds no
// per-invocation state and is safe for concurrent invocations.
type Hook struct {
	core.NopHook
	cfg Config
}

// New returns a hook logging as cfg says.
func New(cfg Config) *Hook {
	if cfg.FailureLevel == nil {
		cfg.FailureLevel = slog.LevelError
	}
	if cfg.SummaryLevel == nil {
		cfg.SummaryLevel = slog.LevelInfo
	}
	return &Hook{cfg: cfg}
}

func (h *Hook) logger() *slog.Logger {
	if h.cfg.Logger != nil {
		return h.cfg.Logger
	}
	return slog.Default()
}

// RecordEnd logs a record that failed, with the message "batchkit: record
// failed" and the attributes event_source,
// identifier, position, error, error_types (the dynamic types of the
// error chain, outermost first) and, for a panic, panic and stack.
func (h *Hook) RecordEnd(ctx context.Context, info core.RecordInfo) {
	if !info.Outcome.Failed() {
		return
	}
	l := h.logger()
	level := h.cfg.FailureLevel.Level()
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := h.common(ctx, info.EventSource, 8)
	attrs = append(attrs,
		slog.String("identifier", info.Identifier.String()),
		slog.Int("position", info.Position),
	)
	if info.Key != "" {
		attrs = append(attrs, slog.String("key", info.Key))
	}
	err := info.Outcome.Err
	if err == nil {
		err = errors.New("batchkit: no outcome (the record was not processed)")
	}
	attrs = append(attrs, slog.String("error", safeMessage(err)), slog.Any("error_types", chainTypes(err)))
	var pe *core.PanicError
	if safeAs(err, &pe) {
		attrs = append(attrs, slog.String("panic", safeSprint(pe.Value)))
		if pe.Where != "" {
			attrs = append(attrs, slog.String("panic_where", pe.Where))
		}
		if !h.cfg.NoStack {
			attrs = append(attrs, slog.String("stack", string(pe.Stack)))
		}
	}
	l.LogAttrs(ctx, level, msgFailure, attrs...)
}

// BatchEnd logs the batch's summary, with the message "batchkit: batch
// processed" and the attributes event_source, records, succeeded,
// failed, duration and, when the invocation returns one, error.
func (h *Hook) BatchEnd(ctx context.Context, res core.BatchResult) error {
	if h.cfg.NoSummary {
		return nil
	}
	l := h.logger()
	level := h.cfg.SummaryLevel.Level()
	if !l.Enabled(ctx, level) {
		return nil
	}
	attrs := h.common(ctx, res.EventSource, 6)
	attrs = append(attrs,
		slog.Int("records", res.Size),
		slog.Int("succeeded", res.Succeeded),
		slog.Int("failed", res.Failed),
		slog.Duration("duration", res.Duration),
	)
	if res.Err != nil {
		attrs = append(attrs, slog.String("error", safeMessage(res.Err)), slog.Any("error_types", chainTypes(res.Err)))
	}
	l.LogAttrs(ctx, level, msgSummary, attrs...)
	return nil
}

// common returns the configured attributes, the Lambda request id and the
// event source, with room for extra more.
func (h *Hook) common(ctx context.Context, source string, extra int) []slog.Attr {
	attrs := make([]slog.Attr, 0, len(h.cfg.Attrs)+2+extra)
	attrs = append(attrs, h.cfg.Attrs...)
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		attrs = append(attrs, slog.String("function_request_id", lc.AwsRequestID))
	}
	return append(attrs, slog.String("event_source", source))
}

// maxChain bounds the error chain walked, against a cycle in a user's Unwrap.
const maxChain = 32

// chainTypes returns the dynamic types of err's chain, depth first
// (errors.Join and multi-%w branches included), each once per position.
func chainTypes(err error) []string {
	var types []string
	var walk func(error)
	walk = func(e error) {
		if e == nil || len(types) >= maxChain {
			return
		}
		types = append(types, fmt.Sprintf("%T", e))
		for _, next := range safeUnwrap(e) {
			walk(next)
		}
	}
	walk(err)
	return types
}

// The helpers below call user code (an error's Error, Unwrap or As, a
// panic value's String) under recover: a panic there costs the attribute,
// never the log record.

func safeMessage(err error) (s string) {
	defer func() {
		if v := recover(); v != nil {
			s = fmt.Sprintf("%T (its Error method panicked: %v)", err, v)
		}
	}()
	return err.Error()
}

func safeUnwrap(err error) (next []error) {
	defer func() {
		if recover() != nil {
			next = nil
		}
	}()
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			return []error{e}
		}
	}
	return nil
}

func safeAs(err error, target any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return errors.As(err, target)
}

func safeSprint(v any) (s string) {
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("%T (printing it panicked: %v)", v, r)
		}
	}()
	return fmt.Sprint(v)
}

var _ core.Hook = (*Hook)(nil)
