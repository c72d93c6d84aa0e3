package envelope

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// The message types of CloudWatch Logs subscription data.
const (
	// LogsDataMessage carries log events.
	LogsDataMessage = "DATA_MESSAGE"
	// LogsControlMessage is the message CloudWatch Logs writes to check
	// that the destination is reachable; it carries no log of the user's.
	LogsControlMessage = "CONTROL_MESSAGE"
)

// MaxLogsDataSize bounds the decompressed size of one CloudWatch Logs
// record (a Kinesis record holds at most 1 MB compressed): a record that
// inflates beyond it fails alone instead of exhausting the function's
// memory.
const MaxLogsDataSize = 64 << 20

// maxLogsData is MaxLogsDataSize, lowered by the package's own tests.
var maxLogsData int64 = MaxLogsDataSize

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
// group and stream), and [Layers.LogEvent] returns the event.
//
// A CONTROL_MESSAGE (which CloudWatch Logs writes to check the destination)
// is skipped: the record succeeds without the handler being called, with a
// [*Skipped] whose Reason is [LogsControlMessage] and whose Meta is the
// *events.CloudwatchLogsData. Data that is not gzip, does not decode, has
// another messageType or inflates beyond [MaxLogsDataSize] fails its record
// with a [*UnwrapError].
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
	case LogsDataMessage:
	case LogsControlMessage:
		return nil, Skip(LogsControlMessage, d)
	default:
		return nil, fmt.Errorf("messageType is %q, want %q or %q", d.MessageType, LogsDataMessage, LogsControlMessage)
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

// gunzip inflates data, at most MaxLogsDataSize bytes of it.
func gunzip(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return nil, errors.New("data is not gzip (CloudWatch Logs subscription data is gzip-compressed JSON); is the stream written by a subscription filter?")
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
	out := bytes.NewBuffer(make([]byte, 0, 4*len(data)))
	limit := maxLogsData
	n, err := out.ReadFrom(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("gzip data: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("data inflates beyond %d bytes (MaxLogsDataSize)", limit)
	}
	return out.Bytes(), nil
}
