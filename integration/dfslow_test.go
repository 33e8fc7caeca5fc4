package integration

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSlowDiskUsageOutlivesTimeout: --timeout bounds each request but not
// /system/df, which docker waits for without a bound and which takes
// minutes on a big host (issue 12 item 3). Through a proxy that delays df
// past --timeout, report still answers; --df-timeout bounds it again.
//
// Safety: report only reads; it is scoped to this run's label.
func TestSlowDiskUsageOutlivesTimeout(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := filterFlags(scopeFilters(t))
	p := startProxy(t)
	p.AddFault(&faultRule{Name: "slow-df", Method: http.MethodGet, Path: regexp.MustCompile(`^/system/df$`), Delay: 3 * timeoutUnit})

	t.Run("unbounded by --timeout", func(t *testing.T) {
		p.Reset()
		out, errOut, code := p.run(t, append([]string{"--timeout", timeoutUnit.String(), "report", "--format", "json"}, scope...)...)
		if code != 0 || !strings.Contains(out, `"summary"`) {
			t.Fatalf("report --timeout %v with df taking %v: exit %d, stderr %q; want the report", timeoutUnit, 3*timeoutUnit, code, errOut)
		}
		answered := 0
		for _, r := range p.Requests() {
			if r.Path == "/system/df" && r.Fault == "slow-df" && r.Status == http.StatusOK {
				answered++
			}
		}
		if answered != 1 {
			t.Fatalf("%d delayed /system/df answered, want 1: %v", answered, p.Requests())
		}
	})
	t.Run("bounded by --df-timeout", func(t *testing.T) {
		p.Reset()
		out, errOut, code := p.run(t, append([]string{"--df-timeout", timeoutUnit.String(), "report", "--format", "json"}, scope...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, "--df-timeout") {
			t.Fatalf("report --df-timeout %v with df taking %v: exit %d, stdout %q, stderr %q; want exit 1 naming --df-timeout", timeoutUnit, 3*timeoutUnit, code, out, errOut)
		}
	})
}

// timeoutUnit is the --timeout of the test: the df delay is three of it.
const timeoutUnit = time.Second
