// Package parse reads the quantities users type: durations with days and
// weeks (7d, 2w, 90m), byte sizes in decimal and binary units (500MB, 2GiB),
// percentages (85%) and points in time (docker's --filter until= values).
// Every error names the value it could not read, for a one-line usage error.
package parse
