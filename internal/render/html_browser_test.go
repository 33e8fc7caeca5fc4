package render

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// findBrowser returns a headless-capable Chromium, failing under CI=true
// (where .ci/run installs Debian's chromium) and skipping loudly elsewhere.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: the HTML report must be checked in a real browser under CI (apt-get install chromium)")
	}
	t.Skip("SKIPPED: no chromium on PATH; install Debian's chromium to check the HTML report in a real browser")
	return ""
}

// consoleProblem matches what Chromium logs for console messages, script
// errors and resources it failed to load.
var consoleProblem = regexp.MustCompile(`(?m)(:CONSOLE[:(]|Uncaught|net::ERR_|Failed to load resource|Refused to)`)

type browserRun struct {
	log    string
	shot   []byte
	domOut string
}

func openInBrowser(t *testing.T, browser, page string) browserRun {
	t.Helper()
	dir := t.TempDir()
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	common := []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0"}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, browser, append(common, "--window-size=1000,1400", "--screenshot="+shot, "file://"+page)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium screenshot failed: %v\n%s", err, stderr.String())
	}
	img, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr.String())
	}
	dom, err := exec.CommandContext(ctx, browser, append(common, "--dump-dom", "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom failed: %v", err)
	}
	return browserRun{log: stderr.String(), shot: img, domOut: string(dom)}
}

// distinctColours counts the colours of a sample of the screenshot's pixels.
func distinctColours(t *testing.T, b []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	seen := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 7 {
		for x := r.Min.X; x < r.Max.X; x += 7 {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			seen[[4]uint32{cr, cg, cb, ca}] = true
		}
	}
	return len(seen)
}

func TestHTMLReportRendersInChromium(t *testing.T) {
	t.Parallel()
	browser := findBrowser(t)
	var buf bytes.Buffer
	if err := RenderReport(&buf, sampleReport(), ReportOptions{Format: "html", ByProject: true, Now: now, Explain: reportExplain()}); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := openInBrowser(t, browser, page)
	if m := consoleProblem.FindString(run.log); m != "" {
		t.Fatalf("chromium reported a console or loading problem (%q):\n%s", m, run.log)
	}
	for _, want := range []string{`id="types-chart"`, `id="projects-chart"`, "<rect", "Full cleanup", "shop"} {
		if !strings.Contains(run.domOut, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if n := distinctColours(t, run.shot); n < 4 {
		t.Fatalf("screenshot has %d colours: the page rendered blank", n)
	}
}

// The console check above must be able to fail: a page that logs an error
// and loads a missing resource is caught.
func TestBrowserCheckCatchesConsoleErrors(t *testing.T) {
	t.Parallel()
	browser := findBrowser(t)
	page := filepath.Join(t.TempDir(), "bad.html")
	bad := `<html><body><p>x</p><script>console.error("boom")</script></body></html>`
	if err := os.WriteFile(page, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	run := openInBrowser(t, browser, page)
	if !consoleProblem.MatchString(run.log) {
		t.Fatalf("the console check missed console.error:\n%s", run.log)
	}
}
