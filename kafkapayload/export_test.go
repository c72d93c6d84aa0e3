package kafkapayload

// SetMaxInflatedSize lowers the Glue inflation bound (maxInflatedSize) for a test and returns the
// function that restores it.
func SetMaxInflatedSize(n int) (restore func()) {
	old := maxInflatedSize
	maxInflatedSize = n
	return func() { maxInflatedSize = old }
}
