package payload_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/payload"
)

type byValue struct{ N int }

func (v byValue) Validate() error {
	if v.N < 0 {
		return errors.New("negative")
	}
	return nil
}

type byPointer struct{ N int }

func (v *byPointer) Validate() error {
	if v.N < 0 {
		return errors.New("negative")
	}
	return nil
}

type plain struct{ N int }

type panics struct{}

func (panics) Validate() error { panic("bug") }

func TestValidate(t *testing.T) {
	err := payload.Validate(&byValue{N: -1})
	require.ErrorIs(t, err, payload.ErrInvalid)
	require.EqualError(t, err, "batchkit: payload of type payload_test.byValue is invalid: negative")
	bp := &byPointer{N: -1}
	require.ErrorIs(t, payload.Validate(&bp), payload.ErrInvalid)
	require.ErrorIs(t, payload.Validate(&byPointer{N: -1}), payload.ErrInvalid)
	var nilPtr *byPointer
	require.ErrorIs(t, payload.Validate(&nilPtr), payload.ErrNilPayload)
	require.ErrorIs(t, payload.Validate(&nilPtr), payload.ErrInvalid)
	require.NoError(t, payload.Validate(&plain{N: -1}))
	require.NoError(t, payload.Validate(&byPointer{N: 1}))

	err = payload.Validate(&panics{})
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "Validate", pe.Where)
	require.ErrorIs(t, err, payload.ErrInvalid)
}

func TestDecode(t *testing.T) {
	_, err := payload.Decode[*byPointer]("SQS body", []byte(`{"N": -1}`))
	require.ErrorIs(t, err, payload.ErrInvalid)
	_, err = payload.Decode[byValue]("SQS body", []byte(`{`))
	require.ErrorIs(t, err, core.ErrDecode)
	require.ErrorContains(t, err, "batchkit: SQS body does not decode into payload_test.byValue")
	v, err := payload.Decode[byValue]("SQS body", []byte(`{"N": 2}`))
	require.NoError(t, err)
	require.Equal(t, 2, v.N)
}
