package batch

// ByStudent indexes the results.
func (l *ResultsLog) ByStudent() map[string]*Result {
	m := make(map[string]*Result, len(l.Results))
	for _, r := range l.Results {
		m[r.Student] = r
	}
	return m
}
