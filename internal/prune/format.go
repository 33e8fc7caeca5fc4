package prune

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"

	"github.com/dockctl/dockctl/internal/parse"
)

// fmtBytes writes a byte count exactly as docker's tables do (go-units
// HumanSize: decimal units, four significant digits): 0B, 999B, 1.5kB,
// 1000kB, 9.1GB. A hand-rolled %.3g printed 999999 bytes as 1e+03kB.
func fmtBytes(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return units.HumanSize(float64(n))
}

// fmtPercent writes a percentage with at most one decimal: 85%, 84.6%.
func fmtPercent(p float64) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// shortID is the 12-digit id docker shows.
func shortID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// usedBy names the containers that keep an object.
// usedByCount is the reason for an object the engine says n containers
// use, when their names are not known.
func usedByCount(n int) string {
	if n == 1 {
		return "used by 1 container"
	}
	return fmt.Sprintf("used by %d containers", n)
}

func usedBy(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "used by container " + names[0]
	case 2, 3:
		return "used by containers " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("used by containers %s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}

// younger is the OlderThan reason.
func youngerReason(d time.Duration) string { return "younger than " + parse.FormatDuration(d) }
