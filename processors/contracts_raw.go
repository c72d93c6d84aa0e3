package processors

// rawValue returns the JSON text of the value at d, validated, and moves
// past it: a window's state is kept as it came.
func (d *dec) rawValue() (string, error) {
	d.peek()
	start := d.i
	if err := d.skip(); err != nil {
		return "", err
	}
	return d.s[start:d.i], nil
}

// boolField reads a boolean into dst; null leaves it.
func (d *dec) boolField(dst *bool) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	v, err := d.boolValue()
	if err == nil {
		*dst = v
	}
	return err
}

// textField reads a string or a number into dst as its text (a number's
// literal as written); null leaves it. AWS documents some fields as either.
func (d *dec) textField(dst *string) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	if d.peek() == '"' {
		return d.strField(dst)
	}
	lit, err := d.number()
	if err == nil {
		*dst = lit
	}
	return err
}

func quote(s string) string { return `"` + s + `"` }
