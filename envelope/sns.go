package envelope

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SNSNotification is the JSON document that SNS delivers to an SQS queue (or
// an HTTP endpoint) subscribed to a topic without raw message delivery
// (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html,
// https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html). Its
// Message is the payload.
//
// It is not aws-lambda-go's events.SNSEntity, the record of the event SNS
// sends to a Lambda function: that event spells two keys SigningCertUrl and
// UnsubscribeUrl where this document has SigningCertURL and UnsubscribeURL,
// and SNSEntity has no SequenceNumber (FIFO topics), SubscribeURL or Token
// (confirmations), and untyped MessageAttributes.
type SNSNotification struct {
	// Type is "Notification" for a published message.
	Type string `json:"Type"`
	// MessageID is SNS's id of the published message.
	MessageID string `json:"MessageId"`
	// SequenceNumber is set for messages of FIFO topics.
	SequenceNumber string `json:"SequenceNumber,omitempty"`
	// TopicArn is the topic the message was published to.
	TopicArn string `json:"TopicArn"`
	// Subject is the subject given when publishing, if any.
	Subject string `json:"Subject,omitempty"`
	// Message is the payload, as published.
	Message string `json:"Message"`
	// Timestamp is when the message was published.
	Timestamp time.Time `json:"Timestamp"`
	// SignatureVersion, Signature and SigningCertURL sign the
	// notification.
	SignatureVersion string `json:"SignatureVersion,omitempty"`
	// Signature is the notification's signature.
	Signature string `json:"Signature,omitempty"`
	// SigningCertURL is the certificate that signed the notification.
	SigningCertURL string `json:"SigningCertURL,omitempty"`
	// UnsubscribeURL removes the subscription.
	UnsubscribeURL string `json:"UnsubscribeURL,omitempty"`
	// SubscribeURL confirms a subscription (Type SubscriptionConfirmation).
	SubscribeURL string `json:"SubscribeURL,omitempty"`
	// Token is the confirmation token (Type SubscriptionConfirmation).
	Token string `json:"Token,omitempty"`
	// MessageAttributes are the attributes given when publishing.
	MessageAttributes map[string]SNSMessageAttribute `json:"MessageAttributes,omitempty"`
}

// SNSMessageAttribute is one attribute of an [SNSNotification]: its Type is
// "String", "String.Array", "Number" or "Binary" (Value then in base64).
type SNSMessageAttribute struct {
	// Type is the attribute's data type.
	Type string `json:"Type"`
	// Value is the attribute's value, as text.
	Value string `json:"Value"`
}

// The SNS message types: SNS sends the confirmations to a cross-account
// SQS subscription to confirm it, or after unsubscribing.
const (
	snsNotification             = "Notification"
	snsSubscriptionConfirmation = "SubscriptionConfirmation"
	snsUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

const (
	snsLayer  = "SNS notification"
	errNotSNS = "not an SNS notification"
)

// SNS returns the layer of SNS notifications, as SNS delivers them to SQS
// without raw message delivery
// (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html):
// the payload is the notification's Message, and [Meta.SNS] returns the
// notification (topic, subject, attributes...). Keys are matched exactly, as
// SNS writes them ("Type", "Message"): a document with "type" or "MESSAGE"
// is not a notification.
//
// A body that is not a notification (not a JSON object, no Type
// "Notification", no Message) fails its record with a [*UnwrapError]. A
// subscription or unsubscribe confirmation (which SNS sends to a queue of
// another account) is skipped: the record succeeds, and [Config.OnSkip]
// receives the reason "SNS SubscriptionConfirmation" (or "SNS
// UnsubscribeConfirmation"), with the *SNSNotification holding the
// SubscribeURL to visit in m.Layers (m.SNS()).
//
// With raw message delivery, the body is the payload itself: use no SNS
// layer (SNS message attributes then arrive as SQS message attributes).
func SNS() Layer { return snsLayerT{} }

type snsLayerT struct{}

func (snsLayerT) readsOnly() {}

// Name names the layer in errors.
func (snsLayerT) Name() string { return snsLayer }

// Unwrap opens data; see [Layer].
func (snsLayerT) Unwrap(data []byte) ([]Part, error) {
	n, hasMessage, err := decodeSNS(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", errNotSNS, err)
	}
	switch n.Type {
	case snsNotification:
	case snsSubscriptionConfirmation, snsUnsubscribeConfirmation:
		return nil, Skip("SNS "+n.Type, n)
	case "":
		return nil, errors.New(errNotSNS + `: no "Type"`)
	default:
		return nil, fmt.Errorf("%s: Type is %q", errNotSNS, n.Type)
	}
	if !hasMessage {
		return nil, errors.New(errNotSNS + `: no "Message"`)
	}
	return []Part{{Data: view(n.Message), Meta: n}}, nil
}

// snsKeys are the keys SNS writes, as it spells them.
var snsKeys = []string{"Type", "MessageId", "SequenceNumber", "TopicArn", "Subject", "Message", "Timestamp",
	"SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "SubscribeURL", "Token", "MessageAttributes"}

// decodeSNS decodes a notification with its keys matched exactly, as SNS
// writes them, and reports whether it has a Message. encoding/json folds the
// case of struct field names, so a document whose top-level keys all match
// exactly (what SNS sends) is decoded into the struct at once; one with a
// key that matches only when case is folded ("type", "MESSAGE") or is
// escaped takes the exact, slower path, where such a key is not the field.
func decodeSNS(data []byte) (n *SNSNotification, hasMessage bool, err error) {
	if exactTopLevelKeys(data, snsKeys) {
		// One allocation for the notification and the Message probe.
		raw := new(struct {
			SNSNotification
			Message *string `json:"Message"`
		})
		if err := json.Unmarshal(data, raw); err != nil {
			return nil, false, err
		}
		if raw.Message != nil {
			raw.SNSNotification.Message = *raw.Message
		}
		return &raw.SNSNotification, raw.Message != nil, nil
	}
	n = new(SNSNotification)
	hasMessage, err = decodeSNSExact(data, n)
	return n, hasMessage, err
}

// decodeSNSExact decodes a notification key by key, matched exactly.
func decodeSNSExact(data []byte, n *SNSNotification) (hasMessage bool, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return false, err
	}
	fields := []struct {
		key string
		v   any
	}{
		{"Type", &n.Type}, {"MessageId", &n.MessageID}, {"SequenceNumber", &n.SequenceNumber},
		{"TopicArn", &n.TopicArn}, {"Subject", &n.Subject}, {"Message", &n.Message},
		{"Timestamp", &n.Timestamp}, {"SignatureVersion", &n.SignatureVersion},
		{"Signature", &n.Signature}, {"SigningCertURL", &n.SigningCertURL},
		{"UnsubscribeURL", &n.UnsubscribeURL}, {"SubscribeURL", &n.SubscribeURL}, {"Token", &n.Token},
	}
	for _, f := range fields {
		raw, ok := m[f.key]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, f.v); err != nil {
			return false, fmt.Errorf("%s: %w", f.key, err)
		}
		hasMessage = hasMessage || f.key == "Message"
	}
	if raw, ok := m["MessageAttributes"]; ok && string(raw) != "null" {
		// Attribute entries decode as in the fast path: exactness is
		// about the notification's own keys.
		if err := json.Unmarshal(raw, &n.MessageAttributes); err != nil {
			return false, fmt.Errorf("MessageAttributes: %w", err)
		}
	}
	return hasMessage, nil
}

// exactTopLevelKeys reports whether no top-level key of the JSON object in
// data matches one of keys only when case is folded, and none is escaped.
// It reads keys only, without allocating; data that is not an object
// reports true (the decoder then says what is wrong).
func exactTopLevelKeys(data []byte, keys []string) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return true
	}
	i++
	for {
		i = skipSpace(data, i)
		if i >= len(data) || data[i] != '"' {
			return true
		}
		j := i + 1
		for j < len(data) && data[j] != '"' {
			if data[j] == '\\' {
				return false
			}
			j++
		}
		if j >= len(data) {
			return true
		}
		key := data[i+1 : j]
		for _, k := range keys {
			if len(k) == len(key) && string(key) != k && strings.EqualFold(string(key), k) {
				return false
			}
		}
		i = skipSpace(data, j+1)
		if i >= len(data) || data[i] != ':' {
			return true
		}
		if i = skipValue(data, i+1); i < 0 {
			return true
		}
		i = skipSpace(data, i)
		if i >= len(data) || data[i] != ',' {
			return true
		}
		i++
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index after the JSON value at data[i:], or -1 when
// data ends first.
func skipValue(data []byte, i int) int {
	i = skipSpace(data, i)
	depth := 0
	for i < len(data) {
		switch c := data[i]; c {
		case '"':
			i++
			for i < len(data) && data[i] != '"' {
				if data[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(data) {
				return -1
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
		if depth == 0 && i < len(data) && (data[i] == ',' || data[i] == '}') {
			return i
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}
