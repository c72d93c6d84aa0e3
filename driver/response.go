package driver

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ParseResponse applies Lambda's rules for a function with
// ReportBatchItemFailures to its response, given the identifiers of the
// batch's records (SQS message ids or stream sequence numbers). It returns the
// reported identifiers, each once, in the response's order.
//
// An empty or null response, an object without batchItemFailures, or with a
// null or empty list, means the whole batch succeeded. The whole batch fails,
// with an [*InvalidResponseError], when the response is not JSON or not an
// object, batchItemFailures is not a list, or an entry's itemIdentifier is
// missing (for instance under another key), null, empty, not a string, or not
// one of ids.
func ParseResponse(response []byte, ids []string) ([]string, error) {
	invalid := func(format string, args ...any) error { return invalidResponse(response, format, args...) }
	entries, err := failureEntries(response)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	known := make(map[string]bool, len(ids))
	for _, id := range ids {
		known[id] = true
	}
	var failed []string
	seen := make(map[string]bool)
	for i, e := range entries {
		var entry map[string]json.RawMessage
		if err := json.Unmarshal(e, &entry); err != nil || entry == nil {
			return nil, invalid("batchItemFailures[%d] is not an object", i)
		}
		rawID, ok := entry["itemIdentifier"]
		if !ok {
			return nil, invalid("batchItemFailures[%d] has no itemIdentifier", i)
		}
		var id *string
		if err := json.Unmarshal(rawID, &id); err != nil {
			return nil, invalid("batchItemFailures[%d].itemIdentifier is not a string", i)
		}
		switch {
		case id == nil:
			return nil, invalid("batchItemFailures[%d].itemIdentifier is null", i)
		case *id == "":
			return nil, invalid("batchItemFailures[%d].itemIdentifier is empty", i)
		case !known[*id]:
			return nil, invalid("batchItemFailures[%d].itemIdentifier %q is not a record of the batch", i, *id)
		}
		if !seen[*id] {
			seen[*id] = true
			failed = append(failed, *id)
		}
	}
	return failed, nil
}

// failureEntries returns the entries of a partial batch response's
// batchItemFailures list: none for an empty or null response, an object
// without the list, or a null list; an [*InvalidResponseError] when the
// response is not a JSON object or the list is not a list.
func failureEntries(response []byte) ([]json.RawMessage, error) {
	body := bytes.TrimSpace(response)
	if len(body) == 0 || string(body) == "null" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, invalidResponse(response, "not a JSON object: %v", err)
	}
	raw, ok := obj["batchItemFailures"]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, invalidResponse(response, "batchItemFailures is not a list")
	}
	return entries, nil
}

// invalidResponse is the [*InvalidResponseError] of response, with the
// reason formatted from format and args.
func invalidResponse(response []byte, format string, args ...any) error {
	return &InvalidResponseError{Response: response, Reason: fmt.Sprintf(format, args...)}
}
