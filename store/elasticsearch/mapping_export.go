package elasticsearch

// Mappings returns the document mapping the index template installs (a fresh copy), so
// operations files that name fields (Kibana saved objects in deploy/kibana) are checked
// against the one source of truth.
func Mappings() map[string]any { return mappings() }
