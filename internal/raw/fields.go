package raw

import "time"

// RawValue returns the JSON text of the value at d, validated, and moves
// past it: a window's state is kept as it came.
func (d *Dec) RawValue() (string, error) {
	d.Peek()
	start := d.i
	if err := d.Skip(); err != nil {
		return "", err
	}
	return d.s[start:d.i], nil
}

// BoolField reads a boolean into dst; null leaves it.
func (d *Dec) BoolField(dst *bool) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	v, err := d.boolValue()
	if err == nil {
		*dst = v
	}
	return err
}

// TextField reads a string or a number into dst as its text (a number's
// literal as written); null leaves it. AWS documents some fields as either.
func (d *Dec) TextField(dst *string) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	if d.Peek() == '"' {
		return d.StrField(dst)
	}
	lit, err := d.number()
	if err == nil {
		*dst = lit
	}
	return err
}

func quote(s string) string { return `"` + s + `"` }

// TimeField reads an RFC 3339 time, as time.Time's UnmarshalJSON does;
// null leaves it.
func (d *Dec) TimeField(dst *time.Time) error {
	if isNull, err := d.Null(); isNull || err != nil {
		return err
	}
	s, err := d.Str()
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return d.Errorf("invalid RFC 3339 time %q", s)
	}
	*dst = t
	return nil
}
