package driver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

// Lambda's rules for a Kafka partial batch response.
func TestParseKafkaResponse(t *testing.T) {
	ids := []string{"orders-0@40", "orders-0@41", "orders-0@42", "orders-1@12", "orders-1@13"}
	cases := []struct {
		name, response string
		failed         []string
		invalid        bool
	}{
		{"empty", ``, nil, false},
		{"null", `null`, nil, false},
		{"no failures", `{}`, nil, false},
		{"empty list", `{"batchItemFailures":[]}`, nil, false},
		{"null list", `{"batchItemFailures":null}`, nil, false},
		{"one", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":41}}]}`, []string{"orders-0@41"}, false},
		{"lowest per partition", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":42}},{"itemIdentifier":{"partition":"orders-0","offset":41}},{"itemIdentifier":{"partition":"orders-1","offset":13}}]}`, []string{"orders-0@41", "orders-1@13"}, false},
		{"not JSON", `nope`, nil, true},
		{"not an object", `[1]`, nil, true},
		{"list not a list", `{"batchItemFailures":{}}`, nil, true},
		{"entry not an object", `{"batchItemFailures":[1]}`, nil, true},
		{"no itemIdentifier", `{"batchItemFailures":[{"id":{"partition":"orders-0","offset":41}}]}`, nil, true},
		{"string identifier", `{"batchItemFailures":[{"itemIdentifier":"orders-0@41"}]}`, nil, true},
		{"null identifier", `{"batchItemFailures":[{"itemIdentifier":null}]}`, nil, true},
		{"no partition", `{"batchItemFailures":[{"itemIdentifier":{"offset":41}}]}`, nil, true},
		{"empty partition", `{"batchItemFailures":[{"itemIdentifier":{"partition":"","offset":41}}]}`, nil, true},
		{"no offset", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0"}}]}`, nil, true},
		{"null offset", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":null}}]}`, nil, true},
		{"string offset", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":"41"}}]}`, nil, true},
		{"fractional offset", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":41.5}}]}`, nil, true},
		{"offset not in batch", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":43}}]}`, nil, true},
		{"partition not in batch", `{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-2","offset":41}}]}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			failed, err := driver.ParseKafkaResponse([]byte(tc.response), ids)
			if tc.invalid {
				require.ErrorIs(t, err, driver.ErrWholeBatchFailed)
				var ie *driver.InvalidResponseError
				require.ErrorAs(t, err, &ie)
				require.Nil(t, failed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.failed, failed)
		})
	}
}

// FuzzParseKafkaResponse: no response makes the parser panic, and what it
// reports is always a record of the batch.
func FuzzParseKafkaResponse(f *testing.F) {
	f.Add(`{"batchItemFailures":[{"itemIdentifier":{"partition":"t-0","offset":1}}]}`)
	f.Add(`{"batchItemFailures":[{"itemIdentifier":{"partition":"t-1","offset":-1}}]}`)
	f.Add(`{"batchItemFailures":[{"itemIdentifier":"t-0@1"}]}`)
	f.Add(`null`)
	ids := []string{"t-0@0", "t-0@1", "t-1@7"}
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	f.Fuzz(func(t *testing.T, response string) {
		failed, err := driver.ParseKafkaResponse([]byte(response), ids)
		if err != nil {
			require.ErrorIs(t, err, driver.ErrWholeBatchFailed)
			require.Nil(t, failed)
			return
		}
		for _, id := range failed {
			require.True(t, known[id], id)
		}
	})
}
