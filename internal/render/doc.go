// Package report renders dockctl's models for people and programs: one
// Renderer per format (table, json, markdown, html, Go templates). It is
// the only package that humanizes sizes and times, colours output, or
// escapes what the engine returned before it reaches a terminal.
package render
