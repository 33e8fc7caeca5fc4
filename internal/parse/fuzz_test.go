package parse

// Fuzz targets for the quantities users type. Seeds live in
// testdata/fuzz/<FuzzName>/; `go test ./parse` runs them as regular tests,
// `go test ./parse -run '^$' -fuzz '^FuzzSize$' -fuzztime 20s` explores.
//
// Every target checks: no panic; an error names the value (plainly or in
// its %q form); a success satisfies the function's invariants.
//
// The one documented exception: Duration and Size say "empty duration" /
// "empty size" for blank input (empty or only spaces) without quoting it.
// Callers (cmd) only parse a flag that was given a value, and wrap the
// error in a usage error naming the flag and the raw value.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzNow is the fixed "now" of FuzzUntil.
var fuzzNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// namesValue reports whether msg names v, as typed or quoted.
func namesValue(msg, v string) bool {
	return strings.Contains(msg, fmt.Sprintf("%q", v)) || (v != "" && strings.Contains(msg, v))
}

// checkNamed fails unless err names s; blank s may instead say "empty".
func checkNamed(t *testing.T, fn, s string, err error) {
	t.Helper()
	msg := err.Error()
	if strings.TrimSpace(s) == "" && strings.Contains(msg, "empty") {
		return // the documented exception
	}
	if !namesValue(msg, s) {
		t.Fatalf("%s(%q) error %q does not name the value", fn, s, msg)
	}
}

func FuzzDuration(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Duration(s)
		if err != nil {
			checkNamed(t, "Duration", s, err)
			return
		}
		if d < 0 {
			t.Fatalf("Duration(%q) = %d, negative", s, int64(d))
		}
		// Surrounding blanks are ignored.
		if d2, err := Duration(" \t" + s + "\n"); err != nil || d2 != d {
			t.Fatalf("Duration(%q) = %v but with blanks around = %v, %v", s, d, d2, err)
		}
		// Round trip through nanoseconds: exact while float64 holds the
		// count exactly (2^53 ns, about 104 days), within rounding above.
		back, err := Duration(strconv.FormatInt(int64(d), 10) + "ns")
		if err != nil {
			t.Fatalf("Duration(%q) = %d, but Duration(\"%dns\") fails: %v", s, int64(d), int64(d), err)
		}
		if back < 0 {
			t.Fatalf("Duration(%q) = %d, but Duration(\"%dns\") = %d, negative", s, int64(d), int64(d), int64(back))
		}
		if diff := math.Abs(float64(back) - float64(d)); (d < 1<<53 && diff != 0) || diff > float64(d)/(1<<50) {
			t.Fatalf("Duration(%q) = %d, but Duration(\"%dns\") = %d", s, int64(d), int64(d), int64(back))
		}
	})
}

func FuzzSize(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Size(s)
		if err != nil {
			checkNamed(t, "Size", s, err)
			return
		}
		if n < 0 {
			t.Fatalf("Size(%q) = %d, negative", s, n)
		}
		// A plain byte count reads back as itself.
		if back, err := Size(fmt.Sprint(n)); err != nil || back != n {
			t.Fatalf("Size(%q) = %d, but Size(%q) = %d, %v", s, n, fmt.Sprint(n), back, err)
		}
		if back, err := Size(fmt.Sprint(n) + "B"); err != nil || back != n {
			t.Fatalf("Size(%q) = %d, but Size(\"%dB\") = %d, %v", s, n, n, back, err)
		}
		// Digits alone are that many bytes.
		if in := strings.TrimSpace(s); in != "" && strings.Trim(in, "0123456789") == "" {
			if want, err := strconv.ParseInt(in, 10, 64); err == nil && want != n {
				t.Fatalf("Size(%q) = %d, want %d", s, n, want)
			}
		}
	})
}

func FuzzPercent(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Percent(s)
		if err != nil {
			checkNamed(t, "Percent", s, err)
			return
		}
		if math.IsNaN(p) || p < 0 || p > 100 {
			t.Fatalf("Percent(%q) = %v, outside 0..100", s, p)
		}
		txt := strconv.FormatFloat(p, 'g', -1, 64)
		for _, in := range []string{txt, txt + "%", " " + txt + " % "} {
			if back, err := Percent(in); err != nil || back != p {
				t.Fatalf("Percent(%q) = %v, but Percent(%q) = %v, %v", s, p, in, back, err)
			}
		}
	})
}

func FuzzUntil(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Until(s, fuzzNow)
		if err != nil {
			// Until quotes even blank input.
			if !namesValue(err.Error(), s) {
				t.Fatalf("Until(%q) error %q does not name the value", s, err)
			}
			return
		}
		if again, err := Until(s, fuzzNow); err != nil || !again.Equal(got) {
			t.Fatalf("Until(%q) not deterministic: %v, then %v, %v", s, got, again, err)
		}
		// A duration means that long before now: never after now. A bare
		// "0" is Unix time 0, as docker reads it.
		if d, derr := Duration(strings.TrimSpace(s)); derr == nil && strings.TrimSpace(s) != "0" {
			if want := fuzzNow.Add(-d); !got.Equal(want) {
				t.Fatalf("Until(%q) = %v, want now - %v = %v", s, got, d, want)
			}
			if got.After(fuzzNow) {
				t.Fatalf("Until(%q) = %v, after now %v", s, got, fuzzNow)
			}
		}
	})
}
