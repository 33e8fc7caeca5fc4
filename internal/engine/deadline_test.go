package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
)

// slowEngine answers /system/df and /version after delay, and nothing
// faster: it stands for a big host's engine sizing its disks.
func slowEngine(t *testing.T, delay time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/system/df"):
			_, _ = w.Write([]byte(`{"LayersSize": 7}`))
		default:
			_, _ = w.Write([]byte(`{"Version": "20.10.0"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return "tcp://" + strings.TrimPrefix(srv.URL, "http://")
}

func TestTimeoutDoesNotBoundDiskUsage(t *testing.T) {
	env := func(k string) string {
		if k == "DOCKER_API_VERSION" {
			return "1.41"
		}
		return ""
	}
	const delay = 300 * time.Millisecond
	tests := []struct {
		name    string
		timeout time.Duration
		options []Option
		call    string // "df" or "version"
		// wantErr is "" for success, else a part of the classified error.
		wantErr string
	}{
		{"df past --timeout answers", 50 * time.Millisecond, nil, "df", ""},
		{"other requests stay bounded", 50 * time.Millisecond, nil, "version", "did not answer in time"},
		{"df-timeout bounds df", 10 * time.Second, []Option{DiskUsageTimeout(50 * time.Millisecond)}, "df", "did not finish sizing disks in time"},
		{"df within df-timeout", 50 * time.Millisecond, []Option{DiskUsageTimeout(10 * time.Second)}, "df", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host := slowEngine(t, delay)
			c, err := New(Endpoint{Host: host}, env, tc.timeout, tc.options...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			switch tc.call {
			case "df":
				var du types.DiskUsage
				du, err = c.DiskUsage(context.Background(), types.DiskUsageOptions{})
				if err == nil && du.LayersSize != 7 {
					t.Fatalf("df answer not read: %+v", du)
				}
			default:
				_, err = c.ServerVersion(context.Background())
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("want an answer, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want a timeout, got an answer")
			}
			if !errors.Is(err, context.DeadlineExceeded) || !Gone(err) {
				t.Errorf("%v: not a deadline, or not Gone", err)
			}
			if msg := Classify(err, host).Error(); !strings.Contains(msg, tc.wantErr) {
				t.Errorf("classified %q, want it to say %q", msg, tc.wantErr)
			}
		})
	}
}
