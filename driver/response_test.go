package driver_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

func TestParseResponse(t *testing.T) {
	ids := []string{"a", "b", "c"}
	tests := []struct {
		name     string
		response string
		want     []string
		invalid  bool
	}{
		{"empty body", ``, nil, false},
		{"null", `null`, nil, false},
		{"empty object", `{}`, nil, false},
		{"null list", `{"batchItemFailures":null}`, nil, false},
		{"empty list", `{"batchItemFailures":[]}`, nil, false},
		{"reported", `{"batchItemFailures":[{"itemIdentifier":"c"},{"itemIdentifier":"a"}]}`, []string{"c", "a"}, false},
		{"reported twice", `{"batchItemFailures":[{"itemIdentifier":"b"},{"itemIdentifier":"b"}]}`, []string{"b"}, false},
		{"not JSON", `oops`, nil, true},
		{"not an object", `["a"]`, nil, true},
		{"list is not a list", `{"batchItemFailures":"a"}`, nil, true},
		{"entry not an object", `{"batchItemFailures":["a"]}`, nil, true},
		{"empty identifier", `{"batchItemFailures":[{"itemIdentifier":""}]}`, nil, true},
		{"null identifier", `{"batchItemFailures":[{"itemIdentifier":null}]}`, nil, true},
		{"wrong key", `{"batchItemFailures":[{"itemID":"a"}]}`, nil, true},
		{"number identifier", `{"batchItemFailures":[{"itemIdentifier":1}]}`, nil, true},
		{"unknown identifier", `{"batchItemFailures":[{"itemIdentifier":"z"}]}`, nil, true},
		{"one bad among good", `{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":""}]}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := driver.ParseResponse([]byte(tt.response), ids)
			if tt.invalid {
				var inv *driver.InvalidResponseError
				require.ErrorAs(t, err, &inv)
				require.ErrorIs(t, err, driver.ErrWholeBatchFailed)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

type myError struct{}

func (myError) Error() string { return "mine" }

func TestHandler(t *testing.T) {
	tests := []struct {
		name     string
		h        func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
		event    string
		want     string
		wantType string
	}{
		{"response", func(_ context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: e.Records[0].MessageId}}}, nil
		}, `{"Records":[{"messageId":"m1"}]}`, `{"batchItemFailures":[{"itemIdentifier":"m1"}]}`, ""},
		{"error", func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, myError{}
		}, `{"Records":[]}`, "", "myError"},
		{"panic", func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			panic("boom")
		}, `{"Records":[]}`, "", "Runtime.Panic"},
		{"undecodable event", func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
			return events.SQSEventResponse{}, nil
		}, `{"Records":"x"}`, "", "Runtime.UnmarshalError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := driver.Handler(tt.h).Invoke(context.Background(), []byte(tt.event))
			if tt.wantType == "" {
				require.NoError(t, err)
				require.JSONEq(t, tt.want, string(got))
				return
			}
			var fe *driver.FunctionError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.wantType, fe.Type)
			require.ErrorIs(t, err, driver.ErrWholeBatchFailed)
		})
	}
	_, err := driver.Handler(func(context.Context, events.SQSEvent) (any, error) { return nil, myError{} }).Invoke(context.Background(), []byte(`{}`))
	require.ErrorAs(t, err, new(myError), "the handler's error is wrapped")
}

func TestEmulatorInvoke(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  string
		body    string
		want    string
		wantErr any
	}{
		{"response", 200, "", `{"batchItemFailures":[]}`, `{"batchItemFailures":[]}`, nil},
		{"function error document", 200, "", `{"errorMessage":"boom","errorType":"errorString"}`, "", new(*driver.FunctionError)},
		{"function error header", 200, "Unhandled", `"boom"`, "", new(*driver.FunctionError)},
		{"runtime crashed", 502, "", `{"errorType":"Runtime.ExitError"}`, "", new(*driver.InvokeError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, http.MethodPost, r.Method)
				require.Equal(t, "/2015-03-31/functions/function/invocations", r.URL.Path)
				if tt.header != "" {
					w.Header().Set("X-Amz-Function-Error", tt.header)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			got, err := driver.NewEmulator(srv.Listener.Addr().String()).Invoke(context.Background(), []byte(`{}`))
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.JSONEq(t, tt.want, string(got))
				return
			}
			require.ErrorAs(t, err, tt.wantErr)
			require.ErrorIs(t, err, driver.ErrWholeBatchFailed)
		})
	}

	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	_, err := driver.NewEmulator(addr).Invoke(context.Background(), []byte(`{}`))
	var ie *driver.InvokeError
	require.ErrorAs(t, err, &ie, "no emulator listening")
	require.Error(t, errors.Unwrap(ie))
}
