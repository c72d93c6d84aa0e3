// Package validate says whether a payload type validates itself, for the
// decoders that decode many values of one type (kafkapayload) and decide once
// whether payload.Validate has anything to call.
package validate

// validator is the method payload.Validate calls.
type validator interface{ Validate() error }

// Has reports whether payload.Validate would call a Validate method for a T:
// *T or T has one (a value receiver, a pointer receiver, or T a pointer type
// such as *Order).
func Has[T any]() bool {
	if _, ok := any((*T)(nil)).(validator); ok {
		return true
	}
	var zero T
	_, ok := any(zero).(validator)
	return ok
}
