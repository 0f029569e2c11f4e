package seed

// SetCitationsPerStatement sets how many entries' citations one COPY
// carries, for a test; the returned function restores it.
func SetCitationsPerStatement(n int) func() {
	old := citationsPerStatement
	citationsPerStatement = n
	return func() { citationsPerStatement = old }
}
