// Package cmd wires dockctl's commands with cobra, one file per command:
// NewXCmd(f, runF) turns flags (typed pflag.Values, read and checked once,
// flagvalues.go) into an XOptions value that also carries a RunEnv copied
// from the Factory (streams, a lazily dialled Engine, the clock); xRun(ctx,
// opts) reads only its options, hands data from inspect to prune, and
// returns a typed render.Result that runX shows once on stdout. A fleet run
// gives each engine its own copy of the options, with that engine's
// RunEnv (fleet.go). The root adds every command
// explicitly. It is the only package that knows flag names: the domain
// packages' bad-input errors become usage errors naming the flag here
// (inputerrors.go), and Run maps errors to exit codes in one place.
package cmd
