package eshistory

// MappingJSON is the settings and mappings the alert history index is created with, so
// the Kibana objects over that index (deploy/kibana) are checked against it.
func MappingJSON() string { return string(mapping) }
