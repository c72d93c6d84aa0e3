package s3batch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/s3batch"
)

// endHook records what its BatchEnd sees.
type endHook struct {
	core.NopHook
	mu   sync.Mutex
	errs []error
}

func (h *endHook) BatchEnd(_ context.Context, res core.BatchResult) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, res.Err)
	return nil
}

// echo succeeds with the key, fails on "temp", "perm" (permanently) and
// "panic", and returns a typed nil error on "nil".
func echo(_ context.Context, task *s3batch.Task) (string, error) {
	switch task.Key {
	case "temp":
		return "", errors.New("try later")
	case "perm":
		return "", s3batch.Permanent(errors.New("never"))
	case "panic":
		panic("boom")
	case "nil":
		var e *typedNil
		return "", e
	}
	return task.Key, nil
}

type typedNil struct{ msg string }

func (e *typedNil) Error() string { return e.msg }

// One lifecycle (issue 24 §3): the response is built in the processor's
// Response with hooks or without: the same responses and errors.
func TestS3BatchHooksOnAndOffGiveTheSameResults(t *testing.T) {
	for _, tc := range []struct {
		name, event string
		errors      bool
	}{
		{name: "mixed", event: `{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"},"tasks":[
			{"taskId":"a","s3Key":"ok","s3Bucket":"b"},{"taskId":"b","s3Key":"temp","s3Bucket":"b"},{"taskId":"c","s3Key":"perm","s3Bucket":"b"},
			{"taskId":"d","s3Key":"panic","s3Bucket":"b"},{"taskId":"e","s3Key":"nil","s3Bucket":"b"},{"taskId":"f","s3Key":"bad%zz","s3Bucket":"b"},
			{"taskId":"g","s3Key":7,"s3Bucket":"b"}]}`},
		{name: "missing taskId", event: `{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"},"tasks":[{"s3Key":"ok","s3Bucket":"b"}]}`, errors: true},
		{name: "no tasks array", event: `{"Records":[]}`, errors: true},
		{name: "userArguments not strings", event: `{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j","userArguments":{"n":1}},"tasks":[]}`, errors: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := &endHook{}
			plain := core.Must(s3batch.New(s3batch.Config{}))
			hooked := core.Must(s3batch.New(s3batch.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
			r1, e1 := s3batch.Handler(plain, echo)(context.Background(), []byte(tc.event))
			r2, e2 := s3batch.Handler(hooked, echo)(context.Background(), []byte(tc.event))
			// A panic's message carries no stack: the responses are equal.
			require.Equal(t, contracttest.Marshal(t, r1), contracttest.Marshal(t, r2))
			require.Equal(t, tc.errors, e1 != nil, "%v", e1)
			if e1 != nil {
				require.EqualError(t, e2, e1.Error())
			} else {
				require.NoError(t, e2)
			}
			require.Len(t, hook.errs, 1, "hooks see the invocation once")
			require.Equal(t, e2 == nil, hook.errs[0] == nil)
		})
	}
}

// No entry changes the caller's event: Key and Job are set on the
// processor's copies, results are kept per invocation; the typed entry
// called twice on the same event gives the same response.
func TestS3BatchProcessLeavesTheEventUnchanged(t *testing.T) {
	ev := contracttest.S3Event("a%20b", "temp", "bad%zz")
	before := contracttest.Marshal(t, ev)
	p := core.Must(s3batch.New(s3batch.Config{}))
	first, err := s3batch.Process(context.Background(), p, ev, echo)
	require.NoError(t, err)
	second, err := s3batch.Process(context.Background(), p, ev, echo)
	require.NoError(t, err)
	require.Equal(t, contracttest.Marshal(t, first), contracttest.Marshal(t, second))
	require.Equal(t, "a b", first.Results[0].ResultString)
	require.Equal(t, before, contracttest.Marshal(t, ev))
	for _, task := range ev.Tasks {
		require.Empty(t, task.Key, "the caller's tasks get no Key")
		require.Nil(t, task.Job, "nor Job")
	}
}

// Issue 18 §4: refused invocations reach the hooks.
func TestS3BatchRefusedInvocationsReachHooks(t *testing.T) {
	for _, event := range []string{`{"Records":[{"messageId":"m"}]}`, `{"invocationSchemaVersion":"2.0","job":{"userArguments":{"a":[1]}},"tasks":[]}`, `null`} {
		hook := &endHook{}
		p := core.Must(s3batch.New(s3batch.Config{Options: core.Options{Hooks: []core.Hook{hook}}}))
		_, err := s3batch.Handler(p, echo)(context.Background(), []byte(event))
		require.Error(t, err, event)
		require.Equal(t, []error{err}, hook.errs, event)
	}
}

// Issue 18 §5: the messages name the real field.
func TestS3BatchMessagesNameTheField(t *testing.T) {
	p := core.Must(s3batch.New(s3batch.Config{}))
	_, err := s3batch.Handler(p, echo)(context.Background(), []byte(`{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j","userArguments":{"n":1}},"tasks":[{"taskId":"t","s3Key":"k","s3Bucket":"b"}]}`))
	require.ErrorIs(t, err, core.ErrDecode)
	require.Contains(t, err.Error(), `"job.userArguments"`)
	require.NotContains(t, err.Error(), "tasks")

	_, err = s3batch.Process(context.Background(), p, s3batch.Event{Tasks: []s3batch.Task{{S3Key: "k"}}}, echo)
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
	var uf *core.UnidentifiableFailureError
	require.ErrorAs(t, err, &uf)
	require.Contains(t, err.Error(), "taskId")
	require.NotContains(t, err.Error(), "messageId")
}

// Issue 18 §4: a handler that ignores its context and returns nil after the
// deadline margin does not make its task Succeeded; tasks after it are not
// started. Both are TemporaryFailure: S3 retries them.
func TestS3BatchHandlerReturningAfterTheMarginFails(t *testing.T) {
	for _, conc := range []int{1, 3} {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		p := core.Must(s3batch.New(s3batch.Config{Options: core.Options{DeadlineMargin: 100 * time.Millisecond, Concurrency: conc}}))
		slow := func(_ context.Context, task *s3batch.Task) (string, error) {
			if task.Key == "slow" {
				time.Sleep(120 * time.Millisecond) // ignores ctx
			}
			return "done", nil
		}
		resp, err := s3batch.Process(ctx, p, contracttest.S3Event("fast", "slow"), slow)
		cancel()
		require.NoError(t, err)
		require.Equal(t, s3batch.Succeeded, resp.Results[0].ResultCode)
		require.Equal(t, s3batch.TemporaryFailure, resp.Results[1].ResultCode, "conc %d", conc)
		require.Contains(t, resp.Results[1].ResultString, "after the deadline margin")
	}
}
