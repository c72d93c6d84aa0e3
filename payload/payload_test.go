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

// Validates says whether Validate would call a method, for value and pointer
// receivers and pointer types: the check kafkapayload.Values(JSON[*T]())
// missed (it looked at **T).
func TestValidates(t *testing.T) {
	require.True(t, payload.Validates[byValue]())
	require.True(t, payload.Validates[*byValue]())
	require.True(t, payload.Validates[byPointer]())
	require.True(t, payload.Validates[*byPointer]())
	require.False(t, payload.Validates[plain]())
	require.False(t, payload.Validates[*plain]())
	require.False(t, payload.Validates[any]())
}

func TestValidate(t *testing.T) {
	require.Error(t, payload.Validate(&byValue{N: -1}))
	bp := &byPointer{N: -1}
	require.Error(t, payload.Validate(&bp))
	require.Error(t, payload.Validate(&byPointer{N: -1}))
	var nilPtr *byPointer
	require.ErrorIs(t, payload.Validate(&nilPtr), payload.ErrNilPayload)
	require.NoError(t, payload.Validate(&plain{N: -1}))

	err := payload.Validate(&panics{})
	var pe *core.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "Validate", pe.Where)
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
