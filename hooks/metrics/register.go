package metrics

import (
	"github.com/batchkit/batchkit/config"
	"github.com/batchkit/batchkit/core"
)

// HookName is the name this hook registers under with [config.RegisterHook]
// when the package is imported, so that configuration can turn it on by
// name (for example BATCHKIT_HOOKS=metrics with config.OpenEnv).
const HookName = "metrics"

func init() {
	config.RegisterHook(HookName, func() (core.Hook, error) { return New(""), nil })
}
