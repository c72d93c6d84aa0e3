package batchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// updateEnv names the environment variable that, set to 1, makes
// [RequireGolden] write the response it got into the golden file instead of
// comparing: BATCHTEST_UPDATE=1 go test ./...
const updateEnv = "BATCHTEST_UPDATE"

// requireResponse fails t now unless got, a response's JSON, equals the JSON
// in the file wantFile (a golden file, such as response.json): equal as JSON
// values, so spacing and key order do not matter, list order does. With
// BATCHTEST_UPDATE=1 it writes got, indented, into wantFile instead.
func requireResponse(t testing.TB, got []byte, wantFile string) {
	t.Helper()
	if os.Getenv(updateEnv) == "1" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, got, "", "  "); err != nil {
			t.Errorf("batchtest: the response is not JSON: %v\n%s", err, got)
			t.FailNow()
		}
		buf.WriteByte('\n')
		if err := os.WriteFile(wantFile, buf.Bytes(), 0o644); err != nil {
			t.Errorf("batchtest: update %s: %v", wantFile, err)
			t.FailNow()
		}
		return
	}
	want, err := os.ReadFile(wantFile)
	if err != nil {
		t.Errorf("batchtest: read the golden response: %v (write it with %s=1)", err, updateEnv)
		t.FailNow()
	}
	if msg := jsonDiff(want, got); msg != "" {
		t.Errorf("batchtest: the response differs from %s (%s=1 rewrites it): %s", wantFile, updateEnv, msg)
		t.FailNow()
	}
}

// RequireGolden runs handler on the event in eventFile as Lambda would
// ([Invoke]) and requires its response to equal the golden file
// responseFile: equal as JSON values, so spacing and key order do not
// matter, list order does. A handler error fails t. With
// BATCHTEST_UPDATE=1 it writes the response, indented, into responseFile
// instead of comparing.
//
//	func TestSampleEvent(t *testing.T) {
//		batchtest.RequireGolden(t, handler, "event.json", "response.json")
//	}
func RequireGolden[H ~func(context.Context, E) (R, error), E, R any](t testing.TB, handler H, eventFile, responseFile string) {
	t.Helper()
	event, err := os.ReadFile(eventFile)
	if err != nil {
		t.Errorf("batchtest: read the event: %v", err)
		t.FailNow()
	}
	got, err := Invoke(context.Background(), handler, event)
	if err != nil {
		t.Errorf("batchtest: %s: %v", eventFile, err)
		t.FailNow()
	}
	requireResponse(t, got, responseFile)
}

// jsonDiff returns "" when want and got hold equal JSON values, else what
// differs.
func jsonDiff(want, got []byte) string {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return "the golden file is not JSON: " + err.Error()
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return "the response is not JSON: " + err.Error() + "\n" + string(got)
	}
	if reflect.DeepEqual(w, g) {
		return ""
	}
	return "\nwant: " + compact(want) + "\ngot:  " + compact(got)
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}
