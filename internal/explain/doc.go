// Package explain owns dockctl's catalogue of explanations: every docker
// command line of the study notes' docker section, the notes' common Linux
// commands and HTTP status codes, and the few entries dockctl adds itself
// (prune commands, docker version/info, a TCP handshake summary, HTTP 409).
//
// The catalogue is the data file catalogue.json, embedded in the binary. Each
// entry carries the command as the notes give it, the notes' Chinese
// explanation exactly as written, an English translation, and its source:
// "document" for the notes' own lines, "dockctl" for what dockctl adds. Where
// the notes are cut off (the last docker line ends in "清理未使"), dockctl
// completes the text and marks the entry Completed, keeping the notes'
// original text in Original.
//
// The package maps dockctl's operations to the docker commands they stand
// for (ForOperation), renders the one-line annotation shown next to each
// operation (Entry.Line), explains engine HTTP statuses (HTTPStatus) and
// answers `dockctl explain TOPIC` (Resolve, Answer; package render writes the answer). It never
// talks to a Docker engine.
package explain
