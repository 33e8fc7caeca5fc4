package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// Size prints a byte count as docker does (decimal units, four significant
// digits: 11.42MB, 0B), and N/A for a size the engine did not compute.
func Size(b int64) string {
	if b < 0 {
		return "N/A"
	}
	v, prefix := humanize.ComputeSI(float64(b))
	return fmt.Sprintf("%.4g%sB", v, prefix)
}

// Count prints a count with its noun in the right number: "1 object",
// "2 objects", "0 objects". Every count dockctl prints goes through it.
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// SizePercent prints "11.42MB (42%)" as docker system df's RECLAIMABLE
// column does: the percentage of total, rounded down.
func SizePercent(b, total int64) string {
	if total <= 0 {
		return Size(b)
	}
	return fmt.Sprintf("%s (%d%%)", Size(b), b*100/total)
}

// Ago prints a time as "3 days ago"; the zero time prints as "never".
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return humanize.RelTime(t, now, "ago", "from now")
}

// ShortID trims an id to 12 hex digits as docker does, unless noTrunc.
func ShortID(id string, noTrunc bool) string {
	if noTrunc {
		return id
	}
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Clean makes a string from the engine safe for a terminal: control
// characters (escape sequences, carriage returns, newlines) are shown as
// Go escapes instead of being sent to the terminal.
func Clean(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
