package validate

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
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

// Has says whether payload.Validate would call a method, for value and
// pointer receivers and pointer types: the check kafkapayload.Values(JSON[*T]())
// missed (it looked at **T).
func TestHas(t *testing.T) {
	require.True(t, Has[byValue]())
	require.True(t, Has[*byValue]())
	require.True(t, Has[byPointer]())
	require.True(t, Has[*byPointer]())
	require.False(t, Has[plain]())
	require.False(t, Has[*plain]())
	require.False(t, Has[any]())
}
