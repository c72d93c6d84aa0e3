package processors_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/processors"
)

func readContractEvent(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/contracts/events/" + name)
	require.NoError(t, err)
	return data
}

// s3Tasks builds a schema 2.0 event with one task per key.
func s3Event(keys ...string) processors.S3BatchEvent {
	ev := processors.S3BatchEvent{InvocationSchemaVersion: "2.0", InvocationID: "inv-1",
		Job: processors.S3BatchJob{ID: "job-1", UserArguments: map[string]string{"mode": "copy"}}}
	for i, k := range keys {
		ev.Tasks = append(ev.Tasks, processors.S3BatchTask{TaskID: "task-" + string(rune('a'+i)), S3Key: k, S3Bucket: "bucket"})
	}
	return ev
}

// s3Both runs the typed and the raw entry on the same event and requires
// the same response from both.
func s3Both(t *testing.T, p *processors.S3BatchProcessor, ev processors.S3BatchEvent, h core.Handler[processors.S3BatchTask]) (processors.S3BatchResponse, error) {
	t.Helper()
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	typed, terr := processors.ProcessS3Batch(context.Background(), p, ev, h)
	fromRaw, rerr := processors.ProcessS3BatchRaw(context.Background(), p, raw, h)
	require.Equal(t, terr == nil, rerr == nil, "typed %v, raw %v", terr, rerr)
	require.Equal(t, marshal(t, typed), marshal(t, fromRaw), "typed and raw entries agree")
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
			data := readContractEvent(t, tc.file)
			h := processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) {
				return task.Bucket() + "/" + task.Key + "@" + task.S3VersionID, nil
			})
			resp, err := processors.ProcessS3BatchRaw(context.Background(), processors.NewS3Batch(), data, h)
			require.NoError(t, err)
			require.JSONEq(t, tc.want, marshal(t, resp))

			var ev processors.S3BatchEvent
			require.NoError(t, json.Unmarshal(data, &ev))
			typed, err := processors.ProcessS3Batch(context.Background(), processors.NewS3Batch(), ev, h)
			require.NoError(t, err)
			require.JSONEq(t, tc.want, marshal(t, typed))
		})
	}
}

func TestS3BatchResultCodes(t *testing.T) {
	errTemp := errors.New("throttled, try later")
	h := processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) {
		switch task.Key {
		case "temporary":
			return "", errTemp
		case "permanent":
			return "", processors.Permanent(errors.New("object is corrupt"))
		case "panic":
			panic("boom")
		}
		return "done " + task.Key, nil
	})
	resp, err := s3Both(t, processors.NewS3Batch(), s3Event("ok", "temporary", "permanent", "panic", "last"), h)
	require.NoError(t, err, "task failures are results, not an invocation error")
	codes := make([]string, len(resp.Results))
	for i, r := range resp.Results {
		codes[i] = r.ResultCode
		require.Equal(t, "task-"+string(rune('a'+i)), r.TaskID, "one result per task, in input order")
	}
	require.Equal(t, []string{"Succeeded", "TemporaryFailure", "PermanentFailure", "TemporaryFailure", "Succeeded"}, codes)
	require.Equal(t, "done ok", resp.Results[0].ResultString)
	require.Equal(t, errTemp.Error(), resp.Results[1].ResultString)
	require.Equal(t, "object is corrupt", resp.Results[2].ResultString)
	require.Contains(t, resp.Results[3].ResultString, "panicked: boom")
	require.Equal(t, "2.0", resp.InvocationSchemaVersion)
	require.Equal(t, "inv-1", resp.InvocationID)
}

func TestS3BatchAllFailedIsStillAResponse(t *testing.T) {
	h := processors.S3BatchFunc(func(context.Context, *processors.S3BatchTask) (string, error) {
		return "", errors.New("down")
	})
	resp, err := s3Both(t, processors.NewS3Batch(), s3Event("a", "b"), h)
	require.NoError(t, err)
	for _, r := range resp.Results {
		require.Equal(t, processors.S3BatchTemporaryFailure, r.ResultCode)
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
			h := processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) {
				got = task.Key
				require.Equal(t, tc.sent, task.S3Key, "the key as sent stays available")
				return "", nil
			})
			_, err := s3Both(t, processors.NewS3Batch(), s3Event(tc.sent), h)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestS3BatchUndecodableKeyFailsPermanentlyWithoutHandler(t *testing.T) {
	var calls atomic.Int32
	h := processors.S3BatchFunc(func(context.Context, *processors.S3BatchTask) (string, error) {
		calls.Add(1)
		return "", nil
	})
	resp, err := processors.ProcessS3Batch(context.Background(), processors.NewS3Batch(), s3Event("ok", "bad%zzkey"), h)
	require.NoError(t, err)
	require.Equal(t, int32(1), calls.Load(), "only the decodable task is handled")
	require.Equal(t, processors.S3BatchSucceeded, resp.Results[0].ResultCode)
	require.Equal(t, processors.S3BatchPermanentFailure, resp.Results[1].ResultCode)
	require.Contains(t, resp.Results[1].ResultString, "not valid URL encoding")
}

func TestS3BatchNotStartedBeforeDeadlineIsTemporary(t *testing.T) {
	var calls atomic.Int32
	h := processors.S3BatchFunc(func(context.Context, *processors.S3BatchTask) (string, error) {
		calls.Add(1)
		return "", nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := processors.NewS3Batch(processors.WithDeadlineMargin(time.Second))
	resp, err := processors.ProcessS3Batch(ctx, p, s3Event("a", "b"), h)
	require.NoError(t, err)
	require.Zero(t, calls.Load())
	for _, r := range resp.Results {
		require.Equal(t, processors.S3BatchTemporaryFailure, r.ResultCode)
		require.Contains(t, r.ResultString, "not started")
	}
}

func TestS3BatchConcurrentKeepsOrder(t *testing.T) {
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = strings.Repeat("k", i+1)
	}
	h := processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) {
		time.Sleep(time.Duration(20-len(task.Key)) * time.Millisecond)
		return task.Key, nil
	})
	resp, err := s3Both(t, processors.NewS3Batch(processors.WithConcurrency(8)), s3Event(keys...), h)
	require.NoError(t, err)
	for i, r := range resp.Results {
		require.Equal(t, keys[i], r.ResultString)
	}
}

func TestS3BatchArgsTyped(t *testing.T) {
	type args struct {
		Mode string `json:"mode"`
	}
	h := processors.S3BatchArgs(func(_ context.Context, a args, task *processors.S3BatchTask) (string, error) {
		return a.Mode + ":" + task.Key, nil
	})
	resp, err := s3Both(t, processors.NewS3Batch(), s3Event("x"), h)
	require.NoError(t, err)
	require.Equal(t, "copy:x", resp.Results[0].ResultString)
}

func TestS3BatchResultFromPlainHandler(t *testing.T) {
	h := core.WithResult(func(_ context.Context, task *processors.S3BatchTask) (map[string]int, error) {
		return map[string]int{"bytes": len(task.Key)}, nil
	})
	resp, err := s3Both(t, processors.NewS3Batch(), s3Event("abc"), h)
	require.NoError(t, err)
	require.Equal(t, `{"bytes":3}`, resp.Results[0].ResultString)
}

func TestS3BatchRawErrors(t *testing.T) {
	h := processors.S3BatchFunc(func(context.Context, *processors.S3BatchTask) (string, error) { return "", nil })
	p := processors.NewS3Batch()
	ctx := context.Background()

	_, err := processors.ProcessS3BatchRaw(ctx, p, []byte(`{"invocationSchemaVersion":"1.0","invocationId":"x","job":{"id":"j"}}`), h)
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)
	_, err = processors.ProcessS3BatchRaw(ctx, p, []byte(`{"tasks":{}}`), h)
	require.ErrorIs(t, err, core.ErrUnexpectedBatchType)

	// A task that does not decode fails alone, permanently, by its taskId.
	resp, err := processors.ProcessS3BatchRaw(ctx, p, []byte(`{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"},"tasks":[
		{"taskId":"t1","s3Key":"a","s3Bucket":"b"},
		{"taskId":"t2","s3Key":7,"s3Bucket":"b"},
		{"taskId":"t3","s3Key":"c","s3Bucket":"b"}]}`), h)
	require.NoError(t, err)
	require.Equal(t, []string{"Succeeded", "PermanentFailure", "Succeeded"},
		[]string{resp.Results[0].ResultCode, resp.Results[1].ResultCode, resp.Results[2].ResultCode})
	require.Equal(t, "t2", resp.Results[1].TaskID)

	// A task without taskId cannot be reported: the invocation fails.
	_, err = processors.ProcessS3BatchRaw(ctx, p, []byte(`{"invocationSchemaVersion":"2.0","invocationId":"i","job":{"id":"j"},"tasks":[{"s3Key":"a","s3Bucket":"b"}]}`), h)
	require.ErrorIs(t, err, core.ErrUnidentifiableFailure)
}

func TestS3BatchConfig(t *testing.T) {
	_, err := processors.S3BatchFrom(processors.S3BatchConfig{TreatMissingKeysAs: "Maybe"})
	require.ErrorIs(t, err, processors.ErrInvalidConfig)
	p, err := processors.S3BatchFrom(processors.S3BatchConfig{TreatMissingKeysAs: processors.S3BatchPermanentFailure})
	require.NoError(t, err)
	resp, err := processors.ProcessS3Batch(context.Background(), p, s3Event(), processors.S3BatchFunc(nil))
	require.NoError(t, err)
	require.JSONEq(t, `{"invocationSchemaVersion":"2.0","treatMissingKeysAs":"PermanentFailure","invocationId":"inv-1","results":[]}`, marshal(t, resp))
	require.Panics(t, func() { processors.NewS3Batch(processors.WithStopOnFirstFailure()) })
}

func TestS3BatchHandlerAdapter(t *testing.T) {
	fn := processors.S3BatchHandler(processors.NewS3Batch(), processors.S3BatchFunc(func(_ context.Context, task *processors.S3BatchTask) (string, error) {
		return task.Key, nil
	}))
	resp, err := fn(context.Background(), readContractEvent(t, "s3batch-1.0.json"))
	require.NoError(t, err)
	require.Equal(t, "customerImage1.jpg", resp.Results[0].ResultString)
}
