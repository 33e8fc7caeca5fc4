// Package inspect turns the engine's answers into dockctl's plain model: an
// Inventory of images, containers, volumes, networks and build-cache records
// with int64 byte counts and time.Time stamps. It declares the few read-only
// engine calls it needs (Client), applies docker-syntax filters, and never
// prints or humanizes anything. Kind (kind.go) is the one enum of object
// kinds and their names; filter.go holds the one per-kind table of filter
// keys and of how a filter narrows an Inventory.
package inspect
