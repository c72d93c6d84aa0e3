package otel

import (
	"time"

	batchkitconfig "github.com/batchkit/batchkit/config"
	"github.com/batchkit/batchkit/core"
)

// HookName is the name this hook registers under with [github.com/batchkit/batchkit/config.RegisterHook]
// when the package is imported, so that configuration can turn it on by
// name (for example BATCHKIT_HOOKS=otel with config.OpenEnv).
const HookName = "otel"

func init() {
	batchkitconfig.RegisterHook(HookName, func() (core.Hook, error) { return New(WithForceFlush(registeredFlushTimeout)), nil })
}

// registeredFlushTimeout bounds the provider flush of the hook created by
// name: a Lambda function may be frozen as soon as it returns.
const registeredFlushTimeout = 2 * time.Second
