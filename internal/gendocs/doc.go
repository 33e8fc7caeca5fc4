// Command gendocs writes dockctl's reference from the real command tree:
// man pages (section 1) into OUT/man and markdown into OUT/cli.
//
//	go run ./internal/gendocs -out docs   # what `make docs` runs
//
// The output depends on the source alone (no date, no machine's
// environment), so the copy checked in under docs/ can be held to the
// source by a test.
package main
