// Package archtest holds the tests that keep the package layering the way DESIGN.md describes
// it: what may import what, and what the query parser may link. It has no code of its own.
package archtest
