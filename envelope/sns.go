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

// The SNS message types that are not a published message: SNS sends them
// to a cross-account SQS subscription to confirm it, or after unsubscribing.
const (
	// SNSSubscriptionConfirmation asks to confirm a subscription.
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	// SNSUnsubscribeConfirmation confirms an unsubscription.
	SNSUnsubscribeConfirmation = "UnsubscribeConfirmation"
)

const (
	snsNotification = "Notification"
	snsLayer        = "SNS notification"
	errNotSNS       = "not an SNS notification"
	rawDeliveryHint = "if the subscription uses raw message delivery, the body is the payload itself: drop the SNS layer"
)

// SNS returns the layer of SNS notifications, as SNS delivers them to SQS
// without raw message delivery: the payload is the notification's Message,
// and [Layers.SNS] returns the notification (topic, subject, attributes...).
//
// A body that is not a notification (not a JSON object, no Type
// "Notification", no Message) fails its record with a [*UnwrapError]. A
// subscription or unsubscribe confirmation (which SNS sends to a queue of
// another account) is skipped: the record succeeds, with a [*Skipped] whose
// Meta is the *SNSNotification holding the SubscribeURL to visit.
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
	var raw struct {
		SNSNotification
		Message *string `json:"Message"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s (%v); %s", errNotSNS, err, rawDeliveryHint)
	}
	n := &raw.SNSNotification
	switch n.Type {
	case snsNotification:
	case SNSSubscriptionConfirmation, SNSUnsubscribeConfirmation:
		if raw.Message != nil {
			n.Message = *raw.Message
		}
		return nil, Skip("SNS "+n.Type, n)
	case "":
		return nil, errors.New(errNotSNS + ": it has no Type; " + rawDeliveryHint)
	default:
		return nil, fmt.Errorf("%s: Type is %q, want %q", errNotSNS, n.Type, snsNotification)
	}
	if raw.Message == nil {
		return nil, errors.New(errNotSNS + ": it has no Message")
	}
	n.Message = *raw.Message
	return []Part{{Data: view(n.Message), Meta: n}}, nil
}
