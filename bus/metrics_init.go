package bus

// InitStage creates a stage's series at zero (consumed, processed, retried, commit errors
// and dead letters for every reason), so rate() and increase() in dashboards and alert rules
// see the first dead letter as an increase instead of a series appearing from nowhere, and
// "no dead letters" shows as 0 rather than as no data.
func (m *Metrics) InitStage(stage string) {
	if m == nil {
		return
	}
	m.consumed.WithLabelValues(stage)
	m.processed.WithLabelValues(stage)
	m.retried.WithLabelValues(stage)
	m.commitErr.WithLabelValues(stage)
	for _, r := range []string{ReasonMalformed, ReasonInvalid, ReasonSchemaTooNew, ReasonOther} {
		m.deadLettered.WithLabelValues(stage, r)
	}
}
