package envelope

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

const eventBridgeLayer = "EventBridge event"

// EventBridge returns the layer of EventBridge events, as a rule delivers
// them to an SQS queue or a Kinesis stream target without an input
// transformer: the payload is the event's detail, and [Meta.EventBridge]
// returns the event (source, detail-type, time, id, account, region,
// resources). A payload that is not an EventBridge event (no source,
// detail-type or detail, or a time that is not RFC 3339) fails its record
// with a [*UnwrapError].
func EventBridge() Layer { return eventBridgeLayerT{} }

type eventBridgeLayerT struct{}

func (eventBridgeLayerT) readsOnly() {}

// Name names the layer in errors.
func (eventBridgeLayerT) Name() string { return eventBridgeLayer }

// Unwrap opens data; see [Layer].
func (eventBridgeLayerT) Unwrap(data []byte) ([]Part, error) {
	e := new(events.EventBridgeEvent)
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("not an EventBridge event: %w", err)
	}
	var missing []string
	if e.Source == "" {
		missing = append(missing, `"source"`)
	}
	if e.DetailType == "" {
		missing = append(missing, `"detail-type"`)
	}
	if e.Detail == nil {
		missing = append(missing, `"detail"`)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not an EventBridge event: it has no %s (a rule with an input transformer delivers its own shape: drop the EventBridge layer)", strings.Join(missing, ", "))
	}
	return []Part{{Data: e.Detail, Meta: e}}, nil
}
