// Package render writes dockctl's typed results for people and programs,
// once, at the edge: one file per model (inspect.go and inspect_rows.go
// for listings, prune.go for plans and outcomes, usage.go and html.go for
// the disk report, fleet.go for several engines, version.go, explain.go).
// A Result (result.go) is a model with its render options: Render writes
// it in its format (table, json, markdown, html, Go templates), Document
// is its JSON document, which fleet runs embed and --every writes as JSON
// Lines. Inspect's default tables are templates over row types, so tables
// and --format share one path. render is the only package that humanizes
// sizes and times, colours output, or escapes what the engine returned
// before it reaches a terminal. Its bad-format errors are *FormatError;
// it knows no flag names.
package render
