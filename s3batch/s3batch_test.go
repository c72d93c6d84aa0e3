package s3batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batchkit/batchkit/internal/contracttest"
	"github.com/batchkit/batchkit/s3batch"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
)

// s3Both runs the typed and the raw entry on the same event and requires
// the same response from both.
func s3Both(t *testing.T, p *s3batch.Processor, ev s3batch.Event, h s3batch.Func) (s3batch.Response, error) {
	t.Helper()
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	typed, terr := s3batch.Process(context.Background(), p, ev, h)
	fromRaw, rerr := s3batch.Handler(p, h)(context.Background(), raw)
	require.Equal(t, terr == nil, rerr == nil, "typed %v, raw %v", terr, rerr)
	require.Equal(t, contracttest.Marshal(t, typed), contracttest.Marshal(t, fromRaw), "typed and raw entries agree")
	return typed, terr
}

func TestS3BatchDocumentedEvents(t *testing.T) {
	for _, tc := range []struct {
		file, want string
	}{
		{"s3batch-1.0.json", `{"invocationSchemaVersion":"1.0","treatMissingKeysAs":"TemporaryFailure","invocationId":"YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
			"results":[{"taskId":"dGFza2lkZ29lc2hlcmUK","resultCode":"Succeeded","resultString":"amzn-s3-demo-bucket/customerImage1.jpg@1"}]}`},
		{"s3batch-2.0.json", `{"invocationSchemaVersion":"2.0","treatMissingKeysAs":"TemporaryFailure","invocationId":"YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
			"results":[{"taskId":"dGFza2lkZ29lc2hlcmUK","resultCode":"Succeeded","resultString":"amzn-s3-demo-bucket/customerImage1.jpg@jbo9_jhdPEyB4RrmOxWS0kU0EoNrU_oI"}]}`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := contracttest.Event(t, tc.file)
			h := func(_ context.Context, task *s3batch.Task) (string, error) {
				return task.Bucket() + "/" + task.Key + "@" + task.S3VersionID, nil
			}
			resp, err := s3batch.Handler(core.Must(s3batch.New(s3batch.Config{})), h)(context.Background(), data)
			require.NoError(t, err)
			require.JSONEq(t, tc.want, contracttest.Marshal(t, resp))

			var ev s3batch.Event
			require.NoError(t, json.Unmarshal(data, &ev))
			typed, err := s3batch.Process(context.Background(), core.Must(s3batch.New(s3batch.Config{})), ev, h)
			require.NoError(t, err)
			require.JSONEq(t, tc.want, contracttest.Marshal(t, typed))
		})
	}
}

func TestS3BatchResultCodes(t *testing.T) {
	errTemp := errors.New("throttled, try later")
	h := func(_ context.Context, task *s3batch.Task) (string, error) {
		switch task.Key {
		case "temporary":
			return "", errTemp
		case "permanent":
			return "", s3batch.Permanent(errors.New("object is corrupt"))
		case "panic":
			panic("boom")
		case "wrapped":
			return "", fmt.Errorf("copy: %w", s3batch.Permanent(errors.New("no such bucket")))
		}
		return "done " + task.Key, nil
	}
	resp, err := s3Both(t, core.Must(s3batch.New(s3batch.Config{})), contracttest.S3Event("ok", "temporary", "permanent", "panic", "wrapped", "last"), h)
	require.NoError(t, err, "task failures are results, not an invocation error")
	codes := make([]string, len(resp.Results))
	for i, r := range resp.Results {
		codes[i] = r.ResultCode
		require.Equal(t, "task-"+string(rune('a'+i)), r.TaskID, "one result per task, in input order")
	}
	require.Equal(t, []string{"Succeeded", "TemporaryFailure", "PermanentFailure", "TemporaryFailure", "PermanentFailure", "Succeeded"}, codes)
	require.Equal(t, "done ok", resp.Results[0].ResultString)
	require.Equal(t, errTemp.Error(), resp.Results[1].ResultString)
	require.Equal(t, "object is corrupt", resp.Results[2].ResultString)
	require.Contains(t, resp.Results[3].ResultString, "panicked: boom")
	require.Equal(t, "copy: no such bucket", resp.Results[4].ResultString, "Permanent wrapped again: still permanent, the message unchanged")
	require.Equal(t, "2.0", resp.InvocationSchemaVersion)
	require.Equal(t, "inv-1", resp.InvocationID)
}

func TestS3BatchAllFailedIsStillAResponse(t *testing.T) {
	h := func(context.Context, *s3batch.Task) (string, error) {
		return "", errors.New("down")
	}
	resp, err := s3Both(t, core.Must(s3batch.New(s3batch.Config{})), contracttest.S3Event("a", "b"), h)
	require.NoError(t, err)
	for _, r := range resp.Results {
		require.Equal(t, s3batch.TemporaryFailure, r.ResultCode)
	}
}

func TestS3BatchKeyDecodedExactlyOnce(t *testing.T) {
	for _, tc := range []struct{ sent, want string }{
		{"customerImage1.jpg", "customerImage1.jpg"},
		{"my+photo.jpg", "my photo.jpg"},
		{"folder%2Fa%20b.txt", "folder/a b.txt"},
		{"100%2525.txt", "100%25.txt"}, // decoded once: %2525 -> %25, not -> %
		{"caf%C3%A9.txt", "café.txt"},
	} {
		t.Run(tc.sent, func(t *testing.T) {
			var got string
			h := func(_ context.Context, task *s3batch.Task) (string, error) {
				got = task.Key
				require.Equal(t, tc.sent, task.S3Key, "the key as sent stays available")
				return "", nil
			}
			_, err := s3Both(t, core.Must(s3batch.New(s3batch.Config{})), contracttest.S3Event(tc.sent), h)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestS3BatchUndecodableKeyFailsPermanentlyWithoutHandler(t *testing.T) {
	var calls atomic.Int32
	h := func(context.Context, *s3batch.Task) (string, error) {
		calls.Add(1)
		return "", nil
	}
	resp, err := s3batch.Process(context.Background(), core.Must(s3batch.New(s3batch.Config{})), contracttest.S3Event("ok", "bad%zzkey"), h)
	require.NoError(t, err)
	require.Equal(t, int32(1), calls.Load(), "only the decodable task is handled")
	require.Equal(t, s3batch.Succeeded, resp.Results[0].ResultCode)
	require.Equal(t, s3batch.PermanentFailure, resp.Results[1].ResultCode)
	require.Contains(t, resp.Results[1].ResultString, "not valid URL encoding")
}

func TestS3BatchNotStartedBeforeDeadlineIsTemporary(t *testing.T) {
	var calls atomic.Int32
	h := func(context.Context, *s3batch.Task) (string, error) {
		calls.Add(1)
		return "", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := core.Must(s3batch.New(s3batch.Config{Options: core.Options{DeadlineMargin: time.Second}}))
	resp, err := s3batch.Process(ctx, p, contracttest.S3Event("a", "b"), h)
	require.NoError(t, err)
	require.Zero(t, calls.Load())
	for _, r := range resp.Results {
		require.Equal(t, s3batch.TemporaryFailure, r.ResultCode)
		require.Contains(t, r.ResultString, "not started")
	}
}

func TestS3BatchConcurrentKeepsOrder(t *testing.T) {
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = strings.Repeat("k", i+1)
	}
	h := func(_ context.Context, task *s3batch.Task) (string, error) {
		time.Sleep(time.Duration(20-len(task.Key)) * time.Millisecond)
		return task.Key, nil
	}
	resp, err := s3Both(t, core.Must(s3batch.New(s3batch.Config{Options: core.Options{Concurrency: 8}})), contracttest.S3Event(keys...), h)
	require.NoError(t, err)
	for i, r := range resp.Results {
		require.Equal(t, keys[i], r.ResultString)
	}
}

func TestS3BatchArgsTyped(t *testing.T) {
	type args struct {
		Mode string `json:"mode"`
	}
	h := s3batch.Args(func(_ context.Context, a args, task *s3batch.Task) (string, error) {
		return a.Mode + ":" + task.Key, nil
	})
	resp, err := s3Both(t, core.Must(s3batch.New(s3batch.Config{})), contracttest.S3Event("x"), h)
	require.NoError(t, err)
	require.Equal(t, "copy:x", resp.Results[0].ResultString)
}

func TestS3BatchRawErrors(t *testing.T) {
	h := func(context.Context, *s3batch.Task) (string, error) { return "", nil }
	p := core.Must(s3batch.New(s3batch.Config{}))
	ctx := context.Background()

	_, err := s3batch.Handler(p, h)(ctx, []byte(`{"invocationSchemaVersion":"1.0","invocationId":"x","job":{"id":"j"}}`))
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	_, err = s3batch.Handler(p, h)(ctx, []byte(`{"tasks":{}}`))
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)

	// A task that does not decode fails alone, permanently, by its taskId.
	resp, err := s3batch.Handler(p, h)(ctx, []byte(`{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"},"tasks":[
		{"taskId":"t1","s3Key":"a","s3Bucket":"b"},
		{"taskId":"t2","s3Key":7,"s3Bucket":"b"},
		{"taskId":"t3","s3Key":"c","s3Bucket":"b"}]}`))
	require.NoError(t, err)
	require.Equal(t, []string{"Succeeded", "PermanentFailure", "Succeeded"},
		[]string{resp.Results[0].ResultCode, resp.Results[1].ResultCode, resp.Results[2].ResultCode})
	require.Equal(t, "t2", resp.Results[1].TaskID)

	// A task without taskId cannot be reported: the invocation fails.
	_, err = s3batch.Handler(p, h)(ctx, []byte(`{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"},"tasks":[{"s3Key":"a","s3Bucket":"b"}]}`))
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
}

func TestS3BatchConfig(t *testing.T) {
	_, err := s3batch.New(s3batch.Config{TreatMissingKeysAs: "Maybe"})
	require.ErrorIs(t, err, core.ErrInvalidConfig)
	p, err := s3batch.New(s3batch.Config{TreatMissingKeysAs: s3batch.PermanentFailure})
	require.NoError(t, err)
	resp, err := s3batch.Process(context.Background(), p, contracttest.S3Event(), func(context.Context, *s3batch.Task) (string, error) { return "", nil })
	require.NoError(t, err)
	require.JSONEq(t, `{"invocationSchemaVersion":"2.0","treatMissingKeysAs":"PermanentFailure","invocationId":"inv-1","results":[]}`, contracttest.Marshal(t, resp))
}

func TestS3BatchHandlerAdapter(t *testing.T) {
	fn := s3batch.Handler(core.Must(s3batch.New(s3batch.Config{})), func(_ context.Context, task *s3batch.Task) (string, error) {
		return task.Key, nil
	})
	resp, err := fn(context.Background(), contracttest.Event(t, "s3batch-1.0.json"))
	require.NoError(t, err)
	require.Equal(t, "customerImage1.jpg", resp.Results[0].ResultString)
}
