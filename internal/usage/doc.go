// Package usage owns dockctl's disk-use accounting: the figures of docker
// system df (TOTAL, ACTIVE, SIZE and docker's own RECLAIMABLE, computed by
// the same rules as docker 28's CLI) next to what pruning each type really
// frees, per compose project, and the notes that explain where the two
// disagree. It computes from an inspect.Inventory and never talks to the
// engine, prints or humanizes.
package usage
