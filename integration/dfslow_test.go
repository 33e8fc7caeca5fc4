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
// past --timeout, report and inspect containers still answer (with the df
// where they make one, without where they size on disk), and so does
// report --no-disk, which always asks df; --df-timeout bounds it again.
//
// Safety: report only reads; it is scoped to this run's label.
func TestSlowDiskUsageOutlivesTimeout(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := filterFlags(scopeFilters(t))
	p := startProxy(t)
	p.AddFault(&faultRule{Name: "slow-df", Method: http.MethodGet, Path: regexp.MustCompile(`^/system/df$`), Delay: 3 * timeoutUnit})

	eng := engineUnderTest(t)
	for _, tc := range []struct {
		args   []string
		want   string // in stdout
		wantDF int
	}{
		{[]string{"report", "--format", "json"}, `"summary"`, eng.reportDF()},
		{[]string{"report", "--no-disk", "--format", "json"}, `"summary"`, 1},
		{[]string{"inspect", "containers", "--format", "json"}, `"items"`, eng.listingDF()},
	} {
		t.Run("unbounded by --timeout/"+strings.Join(tc.args[:2], " "), func(t *testing.T) {
			p.Reset()
			out, errOut, code := p.run(t, append(append([]string{"--timeout", timeoutUnit.String()}, tc.args...), scope...)...)
			if code != 0 || !strings.Contains(out, tc.want) {
				t.Fatalf("%v --timeout %v with df taking %v: exit %d, stderr %q; want the answer", tc.args, timeoutUnit, 3*timeoutUnit, code, errOut)
			}
			answered := 0
			for _, r := range p.Requests() {
				if r.Path == "/system/df" && r.Fault == "slow-df" && r.Status == http.StatusOK {
					answered++
				}
			}
			if answered != tc.wantDF {
				t.Fatalf("%d delayed /system/df answered, want %d on %s: %v", answered, tc.wantDF, eng, p.Requests())
			}
		})
	}
	t.Run("bounded by --df-timeout", func(t *testing.T) {
		p.Reset()
		out, errOut, code := p.run(t, append([]string{"--df-timeout", timeoutUnit.String(), "report", "--no-disk", "--format", "json"}, scope...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, "--df-timeout") {
			t.Fatalf("report --no-disk --df-timeout %v with df taking %v: exit %d, stdout %q, stderr %q; want exit 1 naming --df-timeout", timeoutUnit, 3*timeoutUnit, code, out, errOut)
		}
	})
}

// timeoutUnit is the --timeout of the test: the df delay is three of it.
const timeoutUnit = time.Second
