package payload_test

import (
	"errors"
	"fmt"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
)

type Order struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

// Validate refuses orders without an amount.
func (o *Order) Validate() error {
	if o.Amount <= 0 {
		return errors.New("amount must be positive")
	}
	return nil
}

// Decode decodes and validates a payload: the decoding every typed entry of
// batchkit uses (processors.SQSJSON, envelope, kafkapayload). A pointer type
// is validated too, and a JSON null for it is refused.
func ExampleDecode() {
	o, err := payload.Decode[*Order]("SQS body", []byte(`{"id":"o-1","amount":5}`))
	fmt.Println(o.ID, err)
	_, err = payload.Decode[*Order]("SQS body", []byte(`{"id":"o-2"}`))
	fmt.Println(errors.Is(err, payload.ErrInvalid), err)
	_, err = payload.Decode[*Order]("SQS body", []byte(`null`))
	fmt.Println(errors.Is(err, payload.ErrNilPayload))
	_, err = payload.Decode[*Order]("SQS body", []byte(`{"id":`))
	fmt.Println(errors.Is(err, core.ErrDecode))
	// Output:
	// o-1 <nil>
	// true batchkit: payload of type *payload_test.Order is invalid: amount must be positive
	// true
	// true
}

// Validate runs a payload's own Validate method (on the value or its
// pointer) under recover; its error matches ErrInvalid and wraps the
// method's error.
func ExampleValidate() {
	o := Order{ID: "o-3"}
	err := payload.Validate(&o)
	fmt.Println(errors.Is(err, payload.ErrInvalid), err)
	o.Amount = 2
	fmt.Println(payload.Validate(&o))
	// Output:
	// true batchkit: payload of type payload_test.Order is invalid: amount must be positive
	// <nil>
}
