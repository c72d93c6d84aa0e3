package envelope

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// s3TestEventName is the Event of the test message S3 sends when a
// notification configuration is created or changed.
const s3TestEventName = "s3:TestEvent"

const s3Layer = "S3 event notification"

// S3 returns the layer of S3 event notifications, delivered to SQS directly
// or through SNS (compose: SNS(), S3()). The notification's Records are its
// payloads: the handler is called once per record, in order (S3 sends one
// record per notification today, but the format allows several). A handler
// whose payload type is events.S3EventRecord receives the record decoded
// once, as aws-lambda-go decodes it: S3.Object.Key as S3 sent it
// (URL form-encoded, "red+flower.jpg") and S3.Object.URLDecodedKey decoded
// exactly once ("red flower.jpg"); do not decode it again. [Meta.S3]
// returns the same record for handlers of other payload types.
//
// The test event that S3 sends when a notification is configured
// ({"Service":"Amazon S3","Event":"s3:TestEvent",...}, no Records) is
// skipped: its record succeeds without the handler being called, and
// [Config.OnSkip] receives the reason "s3:TestEvent", with the
// *events.S3TestEvent as the Meta of the last of m.Layers. Anything else
// without Records, an empty Records array, a record that does not decode
// (for example a key that is not valid URL encoding) or whose eventSource is
// not "aws:s3" fails the source record with a [*UnwrapError], before any of
// its records is handled.
func S3() Layer { return s3LayerT{} }

type s3LayerT struct{}

func (s3LayerT) readsOnly() {}

// Name names the layer in errors.
func (s3LayerT) Name() string { return s3Layer }

// Unwrap opens data; see [Layer].
func (s3LayerT) Unwrap(data []byte) ([]Part, error) {
	var n struct {
		Records *[]json.RawMessage `json:"Records"`
		Event   string             `json:"Event"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("not an S3 event notification: %w", err)
	}
	if n.Records == nil {
		if n.Event == s3TestEventName {
			var t events.S3TestEvent
			if err := json.Unmarshal(data, &t); err != nil {
				return nil, fmt.Errorf("S3 test event does not decode: %w", err)
			}
			return nil, Skip(s3TestEventName, &t)
		}
		return nil, errors.New(`not an S3 event notification: it has no "Records" array (and is not the s3:TestEvent)`)
	}
	recs := *n.Records
	if len(recs) == 0 {
		return nil, errors.New(`S3 event notification has an empty "Records" array`)
	}
	parts := make([]Part, len(recs))
	for i, raw := range recs {
		r := new(events.S3EventRecord)
		if err := json.Unmarshal(raw, r); err != nil {
			return nil, fmt.Errorf("S3 record %d of %d does not decode: %w", i+1, len(recs), err)
		}
		if r.EventSource != "" && r.EventSource != "aws:s3" {
			return nil, fmt.Errorf("S3 record %d of %d has eventSource %q, want \"aws:s3\"", i+1, len(recs), r.EventSource)
		}
		parts[i] = Part{Data: raw, Meta: r}
	}
	return parts, nil
}
