package raw

func quote(s string) string { return `"` + s + `"` }
