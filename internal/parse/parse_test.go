package parse

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "90m", want: 90 * time.Minute},
		{in: "24h", want: 24 * time.Hour},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1w2d", want: 9 * 24 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "0", want: 0},
		{in: " 2h ", want: 2 * time.Hour},
		{in: "", wantErr: "empty"},
		{in: "-1h", wantErr: `"-1h" is negative`},
		{in: "7", wantErr: "missing unit"},
		{in: "7y", wantErr: `unknown unit "y"`},
		{in: "d", wantErr: "expected a number"},
		{in: "1..2h", wantErr: "bad number"},
		{in: "99999999999w", wantErr: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Duration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Duration(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Duration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "500MB", want: 500_000_000},
		{in: "2GiB", want: 2 << 30},
		{in: "1.5 GB", want: 1_500_000_000},
		{in: "10GB", want: 10_000_000_000},
		{in: "1.5GiB", want: 3 << 29},
		{in: "1024", want: 1024},
		{in: "1kB", want: 1000},
		{in: "", wantErr: true},
		{in: "-5MB", wantErr: true},
		{in: "lots", wantErr: true},
		{in: "5XB", wantErr: true},
		{in: "99999999EB", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Size(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Size(%q) = %d, want an error", tt.in, got)
				}
				if tt.in != "" && !strings.Contains(err.Error(), tt.in) {
					t.Fatalf("error %q does not name the value %q", err, tt.in)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Size(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]float64{"85%": 85, "85": 85, "0%": 0, "100%": 100, "12.5%": 12.5} {
		if got, err := Percent(in); err != nil || got != want {
			t.Errorf("Percent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "101%", "-1%", "abc", "NaN"} {
		if _, err := Percent(in); err == nil {
			t.Errorf("Percent(%q) succeeded, want an error", in)
		}
	}
}

func TestUntil(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "24h", want: now.Add(-24 * time.Hour)},
		{in: "7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "2026-11-01T10:00:00Z", want: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{in: "2026-11-01", want: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{in: "1700000000", want: time.Unix(1700000000, 0)},
		{in: "yesterday", wantErr: true},
		{in: "", wantErr: true},
		{in: "1e9", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Until(tt.in, now)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Until(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("Until(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// until values are read as docker reads them (api/types/time
// GetTimestamp): a time without a zone is in now's zone (the local time
// dockctl runs in), not UTC, and every form docker accepts is accepted.
// dockctl's own d and w units stay.
func TestUntilAsDocker(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("UTC+2", 2*60*60)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, zone)
	tests := []struct {
		in   string
		want time.Time
	}{
		// Zone-less: now's zone (the old code read them as UTC).
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, zone)},
		{"2026-11-01T10:00:00", time.Date(2026, 11, 1, 10, 0, 0, 0, zone)},
		{"2026-11-01T10:00", time.Date(2026, 11, 1, 10, 0, 0, 0, zone)},
		{"2026-11-01T10:00:00.5", time.Date(2026, 11, 1, 10, 0, 0, 5e8, zone)},
		// Forms docker accepts that the old code refused.
		{"2026-11-01T10", time.Date(2026, 11, 1, 10, 0, 0, 0, zone)},
		{"2026-11-01Z", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-11-01+01:00", time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("", 60*60))},
		{"2026-11-01T10:00Z", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00+01:00", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)},
		{"-1h", now.Add(time.Hour)},
		{"1700000000000", time.Unix(1700000000000, 0)},
		// docker reads "0" as Unix time 0, not as no duration.
		{"0", time.Unix(0, 0)},
		// Unchanged.
		{"2026-11-01T10:00:00Z", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"1700000000.5", time.Unix(1700000000, 5e8)},
		{"90m", now.Add(-90 * time.Minute)},
		// dockctl's extras.
		{"7d", now.Add(-7 * 24 * time.Hour)},
		{"1w", now.Add(-7 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Until(tt.in, now)
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("Until(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "yesterday", "1e9", "2026-13-01", "2026-11-01T25:00", "7x"} {
		t.Run("refuses "+in, func(t *testing.T) {
			if got, err := Until(in, now); err == nil || !strings.Contains(err.Error(), strconv.Quote(in)) {
				t.Fatalf("Until(%q) = %v, %v; want an error naming the value", in, got, err)
			}
		})
	}
}

func TestFormatDurationRoundTrips(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{day, "24h"}, {7 * day, "7d"}, {90 * time.Minute, "1h30m"}, {2 * time.Hour, "2h"},
		{45 * time.Second, "45s"}, {time.Minute, "1m"}, {1500 * time.Millisecond, "1.5s"}, {36 * time.Hour, "36h"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := FormatDuration(tt.d)
			if got != tt.want {
				t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
			}
			if back, err := Duration(got); err != nil || back != tt.d {
				t.Errorf("Duration(%q) = %v, %v; want %v", got, back, err, tt.d)
			}
		})
	}
}
