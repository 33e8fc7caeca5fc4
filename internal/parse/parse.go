package parse

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	timetypes "github.com/docker/docker/api/types/time"
	"github.com/dustin/go-humanize"
)

// FormatDuration writes an age the way users give it, so that Duration
// reads it back: 24h, 7d, 90m as 1h30m, 45s; no trailing zero units.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > day && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Duration reads a Go duration extended with d (24h) and w (7d) units, as
// users write retention ages: "90m", "24h", "7d", "1w2d", "1.5d".
// Negative durations are refused: an age is never negative.
func Duration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	if in == "0" {
		return 0, nil
	}
	var total float64
	rest := strings.TrimPrefix(in, "+")
	if rest == "" {
		return 0, fmt.Errorf("duration %q has no number", s)
	}
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || (rest[i] >= '0' && rest[i] <= '9')) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: expected a number at %q", s, rest)
		}
		num, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: bad number %q", s, rest[:i])
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] == '.' || (rest[j] >= '0' && rest[j] <= '9')) {
			j++
		}
		unit, ok := durationUnits[rest[:j]]
		if !ok {
			if rest[:j] == "" {
				return 0, fmt.Errorf("duration %q: missing unit (use s, m, h, d or w)", s)
			}
			return 0, fmt.Errorf("duration %q: unknown unit %q (use ns, us, ms, s, m, h, d or w)", s, rest[:j])
		}
		total += num * float64(unit)
		// float64(MaxInt64) rounds up to 2^63, which no Duration holds.
		if total >= math.MaxInt64 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		rest = rest[j:]
	}
	return time.Duration(total), nil
}

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond,
	"us": time.Microsecond,
	"µs": time.Microsecond,
	"ms": time.Millisecond,
	"s":  time.Second,
	"m":  time.Minute,
	"h":  time.Hour,
	"d":  24 * time.Hour,
	"w":  7 * 24 * time.Hour,
}

// Size reads a byte count: "500MB" (decimal), "2GiB" (binary), "1.5 GB",
// "1024" (bytes). Negative sizes are refused.
func Size(s string) (int64, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty size")
	}
	if strings.HasPrefix(in, "-") {
		return 0, fmt.Errorf("size %q is negative", s)
	}
	n, err := humanize.ParseBytes(in)
	if err != nil {
		return 0, fmt.Errorf("size %q: use a number with a unit such as 500MB or 2GiB", s)
	}
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(n), nil
}

// Percent reads "85%" or "85" as a percentage in [0, 100].
func Percent(s string) (float64, error) {
	in := strings.TrimSuffix(strings.TrimSpace(s), "%")
	p, err := strconv.ParseFloat(strings.TrimSpace(in), 64)
	if err != nil || math.IsNaN(p) {
		return 0, fmt.Errorf("percentage %q: use a number such as 85%%", s)
	}
	if p < 0 || p > 100 {
		return 0, fmt.Errorf("percentage %q is outside 0%%..100%%", s)
	}
	return p, nil
}

// Until reads an `until` filter value as docker's filters do (package
// github.com/docker/docker/api/types/time, GetTimestamp): a Go duration
// ("90m": that long before now), an RFC 3339 time or date, with or
// without a zone, down to the hour ("2006-01-02T15"), or Unix seconds
// ("1700000000", "1700000000.5"; "0" is Unix time 0). A time without a
// zone is in now's zone, as docker reads it in local time: pass
// time.Now(), not its UTC. dockctl adds its retention units to the
// durations: "7d", "1w", "1.5d".
func Until(s string, now time.Time) (time.Time, error) {
	in := strings.TrimSpace(s)
	if in != "" && in != "0" {
		if d, err := Duration(in); err == nil {
			return now.Add(-d), nil
		}
	}
	bad := fmt.Errorf("time %q: use a duration (24h, 7d), an RFC 3339 time or date, or Unix seconds", s)
	if in == "" {
		return time.Time{}, bad
	}
	ts, err := timetypes.GetTimestamp(in, now)
	if err != nil {
		return time.Time{}, bad
	}
	sec, nsec, err := timetypes.ParseTimestamps(ts, 0)
	if err != nil {
		return time.Time{}, bad
	}
	return time.Unix(sec, nsec), nil
}
