package metrics_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/config"
	hook "github.com/batchkit/batchkit/hooks/metrics"
	"github.com/batchkit/batchkit/processors"
)

// Importing the package registers the hook by name: BATCHKIT_HOOKS turns it
// on, and config.NewHook creates it.
func TestRegisteredByName(t *testing.T) {
	p, err := config.OpenEnv[events.SQSMessage]([]string{"BATCHKIT_PROCESSOR=sqs", "BATCHKIT_HOOKS=" + hook.HookName})
	require.NoError(t, err)
	hooks := p.(*processors.SQSProcessor).Options().Hooks
	require.Len(t, hooks, 1)
	require.IsType(t, &hook.Hook{}, hooks[0])

	h, err := config.NewHook(hook.HookName)
	require.NoError(t, err)
	require.IsType(t, &hook.Hook{}, h)
}
