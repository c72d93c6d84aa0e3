package envelope

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SNSNotification is the JSON document that SNS delivers to an SQS queue (or
// an HTTP endpoint) subscribed to a topic without raw message delivery. Its
// Message is the payload.
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
// the payload is the notification's Message, and [Layers.SNS] returns the
// notification (topic, subject, attributes...). Keys are matched exactly, as
// SNS writes them ("Type", "Message"): a document with "type" or "MESSAGE"
// is not a notification.
//
// A body that is not a notification (not a JSON object, no Type
// "Notification", no Message) fails its record with a [*UnwrapError]. A
// subscription or unsubscribe confirmation (which SNS sends to a queue of
// another account) is skipped: the record succeeds, and [Config.OnSkip]
// receives a [Skipped] whose Reason is "SNS SubscriptionConfirmation" (or
// "SNS UnsubscribeConfirmation") and whose Meta is the *SNSNotification
// holding the SubscribeURL to visit.
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
	n := new(SNSNotification)
	hasMessage, err := decodeSNS(data, n)
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

// decodeSNS decodes a notification with its keys matched exactly (encoding/json
// folds the case of struct field names) and reports whether it has a
// Message.
func decodeSNS(data []byte, n *SNSNotification) (hasMessage bool, err error) {
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
		var attrs map[string]map[string]json.RawMessage
		if err := json.Unmarshal(raw, &attrs); err != nil {
			return false, fmt.Errorf("MessageAttributes: %w", err)
		}
		n.MessageAttributes = make(map[string]SNSMessageAttribute, len(attrs))
		for k, a := range attrs {
			var v SNSMessageAttribute
			if err := unmarshalIf(a["Type"], &v.Type); err != nil {
				return false, fmt.Errorf("MessageAttributes %s: %w", k, err)
			}
			if err := unmarshalIf(a["Value"], &v.Value); err != nil {
				return false, fmt.Errorf("MessageAttributes %s: %w", k, err)
			}
			n.MessageAttributes[k] = v
		}
	}
	return hasMessage, nil
}

func unmarshalIf(raw json.RawMessage, v any) error {
	if raw == nil {
		return nil
	}
	return json.Unmarshal(raw, v)
}
