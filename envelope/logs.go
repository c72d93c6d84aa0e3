package envelope

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/batchkit/batchkit/internal/inflate"
)

// The message types of CloudWatch Logs subscription data.
const (
	// logsDataMessage carries log events.
	logsDataMessage = "DATA_MESSAGE"
	// logsControlMessage is the message CloudWatch Logs writes to check
	// that the destination is reachable; it carries no log of the user's.
	logsControlMessage = "CONTROL_MESSAGE"
)

// maxLogsData bounds the decompressed size of one CloudWatch Logs record:
// 8 MiB. Subscription data carries the log events of a PutLogEvents batch,
// which holds at most 1,048,576 bytes of messages and 10,000 events
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html);
// escaped as JSON, a message byte takes at most 6 bytes (\u00XX) and an event
// adds its id and timestamp (under 120 bytes), so the data of one batch stays
// under 6 MiB + 1.2 MB. The record itself is at most 1 MB compressed in
// Kinesis (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html)
// and 6 MB in a direct Lambda invocation
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
// A record that inflates beyond it fails alone with an [*UnwrapError]; the
// buffer grows to the cap and no further, and concurrent inflations share a
// process-wide budget (internal/inflate).
var maxLogsData = 8 << 20

const logsLayer = "CloudWatch Logs subscription data"

// LogEvent is one log event of CloudWatch Logs subscription data, with the
// data it came in (log group, log stream, owner, subscription filters).
type LogEvent struct {
	events.CloudwatchLogsLogEvent
	// Data is the subscription data holding the event.
	Data *events.CloudwatchLogsData
}

// CloudWatchLogs returns the layer of the data a CloudWatch Logs subscription
// filter writes to a Kinesis stream: gzip-compressed JSON holding log events.
// Each log event is a payload: the handler is called once per event, in
// order, with the event's message as its payload (a string or []byte payload
// type takes plain-text messages as they are; another type decodes JSON
// messages; a LogEvent payload type receives the whole event, with its log
// group and stream), and [Meta.LogEvent] returns the event.
//
// A CONTROL_MESSAGE (which CloudWatch Logs writes to check the destination)
// is skipped: the record succeeds without the handler being called, and
// [Config.OnSkip] receives the reason "CONTROL_MESSAGE", with the
// *events.CloudwatchLogsData in m.Layers (m.LogsData()). Data that is not
// gzip, does not decode, has another messageType or inflates beyond 8 MiB (a
// bound derived from the service's limits; see docs/envelopes.md) fails its
// record with a [*UnwrapError].
func CloudWatchLogs() Layer { return logsLayerT{perEvent: true} }

// CloudWatchLogsData is [CloudWatchLogs] with the whole subscription data
// as the one payload: a handler whose payload type is
// events.CloudwatchLogsData receives it decoded once, with all its log
// events. CONTROL_MESSAGE records are skipped the same way.
func CloudWatchLogsData() Layer { return logsLayerT{} }

type logsLayerT struct{ perEvent bool }

func (logsLayerT) readsOnly() {}

// Name names the layer in errors.
func (logsLayerT) Name() string { return logsLayer }

// Unwrap opens data; see [Layer].
func (l logsLayerT) Unwrap(data []byte) ([]Part, error) {
	plain, err := gunzip(data)
	if err != nil {
		return nil, err
	}
	d := new(events.CloudwatchLogsData)
	if err := json.Unmarshal(plain, d); err != nil {
		return nil, fmt.Errorf("decompressed data is not CloudWatch Logs subscription data: %w", err)
	}
	switch d.MessageType {
	case logsDataMessage:
	case logsControlMessage:
		return nil, Skip(logsControlMessage, d)
	default:
		return nil, fmt.Errorf("messageType is %q, want %q or %q", d.MessageType, logsDataMessage, logsControlMessage)
	}
	if !l.perEvent {
		return []Part{{Data: plain, Meta: d}}, nil
	}
	if len(d.LogEvents) == 0 {
		return nil, errors.New("DATA_MESSAGE holds no log event")
	}
	parts := make([]Part, len(d.LogEvents))
	evs := make([]LogEvent, len(d.LogEvents))
	for i := range d.LogEvents {
		evs[i] = LogEvent{CloudwatchLogsLogEvent: d.LogEvents[i], Data: d}
		parts[i] = Part{Data: view(d.LogEvents[i].Message), Meta: &evs[i]}
	}
	return parts, nil
}

var gzipReaders sync.Pool

// gunzip inflates data, at most maxLogsData bytes of it.
func gunzip(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return nil, errors.New("data is not gzip")
	}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(data))
	} else {
		err = zr.Reset(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	defer gzipReaders.Put(zr)
	out, err := inflate.Read(zr, maxLogsData, 4*len(data))
	if err != nil {
		return nil, fmt.Errorf("gzip data: %w", err)
	}
	return out, nil
}
