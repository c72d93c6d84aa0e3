package metrics_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	hook "github.com/batchkit/batchkit/hooks/metrics"
)

// Importing the package registers the hook by name for configuration.
func TestRegisteredByName(t *testing.T) {
	require.Contains(t, core.HookNames(), hook.HookName)
	h, err := core.NewHook(hook.HookName)
	require.NoError(t, err)
	require.IsType(t, &hook.Hook{}, h)
}
