// Package clierr holds the error types whose kind decides dockctl's exit
// code (usage, partial failure, threshold, interrupted, stopped) and the
// one mapping from error to exit code. Only cmd builds usage errors: the
// other packages return their own typed bad-input errors.
package clierr
