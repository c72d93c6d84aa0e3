package raw

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/internal/rawjson"
)

// TestAttributeValueMatchesAWSLambdaGo: attribute values, on and off the
// fast path for S and N, decode as events.DynamoDBAttributeValue's
// UnmarshalJSON decodes them.
func TestAttributeValueMatchesAWSLambdaGo(t *testing.T) {
	for _, lit := range []string{
		`{"S":"plain"}`, `{"N":"12.5"}`, `{"S":""}`, `{"S":"esc\"aped"}`, `{"S":"caf\u00e9"}`,
		`{ "S":"space before"}`, `{"S" : "space around"}`, `{"S":"x" }`, `{"S":"x","S":"y"}`,
		`{"S":"x","N":"1"}`, `{"N":1}`, `{"S":null}`, `{"S":"unterminated}`, `{"SS":["a","b"]}`,
		`{"L":[{"S":"a"},{"N":"1"}]}`, `{"M":{"k":{"S":"v"}}}`, `{"BOOL":true}`, `{"NULL":true}`,
		`{"X":"unknown"}`, `{}`, `{"S":"x"`, "{\"S\":\"ctl \x01\"}",
	} {
		t.Run(lit, func(t *testing.T) {
			var want events.DynamoDBAttributeValue
			wantErr := json.Unmarshal([]byte(lit), &want)
			d := NewDec(lit)
			got, err := attributeValue(&d, 0)
			if wantErr != nil {
				require.Error(t, err, "aws-lambda-go rejects %s: %v", lit, wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, want, got)
			require.Equal(t, len(lit), d.Pos())
		})
	}
}

// TestAttributeListsAreDistinct: L lists come from the decoder's slab of
// attribute values, capped, one range each.
func TestAttributeListsAreDistinct(t *testing.T) {
	d := NewDec(`[{"L":[{"S":"a"}]},{"L":[{"S":"b"},{"N":"1"}]}]`)
	var lists []events.DynamoDBAttributeValue
	_, err := d.OpenArray()
	require.NoError(t, err)
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		require.NoError(t, err)
		if !more {
			break
		}
		av, err := attributeValue(&d, 0)
		require.NoError(t, err)
		lists = append(lists, av)
	}
	a, b := lists[0].List(), lists[1].List()
	require.Equal(t, 1, cap(a))
	_ = append(a, events.NewStringAttribute("overwrite?"))
	require.Equal(t, "b", b[0].String())
	require.Same(t, rawjson.SlabOf[events.DynamoDBAttributeValue](&d), rawjson.SlabOf[events.DynamoDBAttributeValue](&d))
}

// TestDataAfterTheEvent: a NUL byte after the event object is data after
// it, refused as encoding/json refuses it (not the end of the input).
func TestDataAfterTheEvent(t *testing.T) {
	for _, tail := range []string{"\x00", " x", "{}"} {
		ev := `{"Records":[{"messageId":"a","body":"b"}]}` + tail
		var e events.SQSEvent
		require.Error(t, json.Unmarshal([]byte(ev), &e))
		_, _, err := decodeEvent(ev, &SQS)
		require.Error(t, err, "%q", tail)
	}
	_, _, err := decodeEvent(`{"Records":[]} `+"\n", &SQS)
	require.NoError(t, err)
}
