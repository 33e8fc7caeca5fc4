package integration

// A recording, fault-injecting proxy in front of the real engine (issue
// "Prove it safe", items 1 and 2): dockctl is pointed at a unix socket of
// the test (DOCKER_HOST=unix://…); every request it sends is recorded and
// then forwarded to the engine's socket, or answered by a fault rule.
//
// TestReadOnlyCommands runs every command that must not change the engine
// through it and checks that only GET and HEAD requests were sent.
//
// Safety: the proxy forwards what dockctl sends and nothing else; the
// commands run here read, and the only prune is a scoped dry run.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordedRequest is one request the proxy received.
type recordedRequest struct {
	Method string
	// Path is the URL path without the /v1.xx API version prefix.
	Path  string
	Query string
	// Status is the status answered (0 when the connection was dropped or
	// the request hung until the client gave up).
	Status int
	// Fault names the rule that answered instead of the engine ("" when
	// forwarded).
	Fault string
}

func (r recordedRequest) String() string {
	s := r.Method + " " + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	return s
}

// faultRule answers requests whose method and path match instead of the
// engine. Exactly one of Status, Hang or Drop says what it does; Delay
// alone delays the forwarded request.
type faultRule struct {
	Name   string
	Method string         // "" matches every method
	Path   *regexp.Regexp // matched against the path without /v1.xx; nil matches every path
	// Status (with Message) is answered as the engine answers errors:
	// {"message": "..."}.
	Status  int
	Message string
	// Delay is waited before answering or forwarding.
	Delay time.Duration
	// Hang never answers: the handler waits until the client gives up
	// (or the proxy closes).
	Hang bool
	// Drop closes the connection without an answer.
	Drop bool
}

func (f *faultRule) matches(r *http.Request, path string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	return f.Path == nil || f.Path.MatchString(path)
}

// vanishRule makes the engine vanish: once After requests matching Method
// and Path have been forwarded, every later request (of any kind) is
// dropped (Hang false) or never answered (Hang true).
type vanishRule struct {
	Method string
	Path   *regexp.Regexp
	After  int
	Hang   bool
}

// recordingProxy is an HTTP server on a unix socket that forwards to the
// engine's socket.
type recordingProxy struct {
	Sock string

	engineSock string
	srv        *http.Server
	rp         *httputil.ReverseProxy
	closed     chan struct{}

	mu        sync.Mutex
	log       []*recordedRequest
	rules     []*faultRule
	vanish    *vanishRule
	vanishN   int  // requests counted toward vanish.After
	vanished  bool // the engine is "gone"
	forwarded int
	before    func(req recordedRequest, log []recordedRequest)
}

var apiVersionPrefix = regexp.MustCompile(`^/v[0-9]+(\.[0-9]+)*(/|$)`)

// stripVersion removes the /v1.xx prefix of an API path.
func stripVersion(p string) string {
	if m := apiVersionPrefix.FindString(p); m != "" {
		return "/" + strings.TrimPrefix(p[len(m):], "/")
	}
	return p
}

// engineSocketPath is the filesystem path of the engine's unix socket, or
// "" when the engine is not reached over a unix socket.
func engineSocketPath() string {
	if !strings.HasPrefix(engineHost, "unix://") {
		return ""
	}
	return strings.TrimPrefix(engineHost, "unix://")
}

// shortTempDir is a temporary directory of t with a short path: a unix
// socket's path must stay under 108 bytes, and t.TempDir() holds the test's
// (possibly long) name.
func shortTempDir(t testing.TB) string {
	if d := t.TempDir(); len(d) < 80 {
		return d
	}
	d, err := os.MkdirTemp("", "dkp")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// startProxy starts a recording proxy in front of the engine. It is closed
// when t ends.
func startProxy(t testing.TB) *recordingProxy {
	t.Helper()
	requireEngine(t)
	target := engineSocketPath()
	if target == "" {
		skipf(t, "the recording proxy forwards to a unix socket; the engine is at %s", engineHost)
	}
	p := &recordingProxy{
		Sock:       filepath.Join(shortTempDir(t), "engine.sock"),
		engineSock: target,
		closed:     make(chan struct{}),
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", target)
		},
		DisableCompression: true,
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "docker"
			pr.Out.Host = "docker"
		},
		Transport:     tr,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeEngineError(w, http.StatusBadGateway, "proxy: "+err.Error())
		},
	}
	l, err := net.Listen("unix", p.Sock)
	if err != nil {
		t.Fatalf("proxy: listening on %s: %v", p.Sock, err)
	}
	p.srv = &http.Server{Handler: p}
	go p.srv.Serve(l)
	t.Cleanup(func() {
		close(p.closed)
		p.srv.Close()
		tr.CloseIdleConnections()
	})
	return p
}

// Env is the environment that points dockctl at the proxy.
func (p *recordingProxy) Env() map[string]string {
	return map[string]string{"DOCKER_HOST": "unix://" + p.Sock}
}

// run runs dockctl through the proxy.
func (p *recordingProxy) run(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runDockctlEnv(t, p.Env(), args...)
}

// AddFault adds a rule; the first matching rule answers.
func (p *recordingProxy) AddFault(f *faultRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, f)
}

// VanishAfter arms v (see vanishRule).
func (p *recordingProxy) VanishAfter(v *vanishRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.vanish, p.vanishN, p.vanished = v, 0, false
}

// ClearFaults removes every rule and brings a vanished engine back.
func (p *recordingProxy) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules, p.vanish, p.vanishN, p.vanished = nil, nil, 0, false
}

// Before sets f to be called with each request and the log so far (this
// request last but not yet answered, the others with the statuses they
// were answered) before the request is answered or forwarded; the request
// waits for f. Tests use it to change the engine at an exact point of a
// run: "after the first untag, a container appears".
func (p *recordingProxy) Before(f func(req recordedRequest, log []recordedRequest)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before = f
}

// Reset empties the log.
func (p *recordingProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
}

// Requests returns a copy of the log.
func (p *recordingProxy) Requests() []recordedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]recordedRequest, len(p.log))
	for i, r := range p.log {
		out[i] = *r
	}
	return out
}

// Vanished says whether the vanish rule has fired.
func (p *recordingProxy) Vanished() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.vanished
}

// decide records r and says what to do with it.
// The entry stays valid (for setStatus) after a Reset.
func (p *recordingProxy) decide(r *http.Request) (rec *recordedRequest, rule *faultRule, vanish *vanishRule) {
	path := stripVersion(r.URL.Path)
	p.mu.Lock()
	defer p.mu.Unlock()
	rec = &recordedRequest{Method: r.Method, Path: path, Query: r.URL.RawQuery}
	p.log = append(p.log, rec)
	if p.vanished {
		rec.Fault = "vanished"
		return rec, nil, p.vanish
	}
	for _, f := range p.rules {
		if f.matches(r, path) {
			rec.Fault = f.Name
			return rec, f, nil
		}
	}
	if v := p.vanish; v != nil && (v.Method == "" || strings.EqualFold(v.Method, r.Method)) && (v.Path == nil || v.Path.MatchString(path)) {
		if p.vanishN >= v.After {
			p.vanished = true
			rec.Fault = "vanished"
			return rec, nil, v
		}
		p.vanishN++
	}
	p.forwarded++
	return rec, nil, nil
}

// setStatus records the status of rec; it is called before the answer is
// sent, so the log is complete once the client has its answer.
func (p *recordingProxy) setStatus(rec *recordedRequest, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rec.Status = status
}

func (p *recordingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec, rule, vanish := p.decide(r)
	p.mu.Lock()
	before := p.before
	p.mu.Unlock()
	if before != nil {
		before(*rec, p.Requests())
	}
	switch {
	case vanish != nil:
		if vanish.Hang {
			p.hang(r)
			return
		}
		p.drop(w)
		return
	case rule != nil:
		if rule.Delay > 0 {
			select {
			case <-time.After(rule.Delay):
			case <-r.Context().Done():
				return
			case <-p.closed:
				return
			}
		}
		switch {
		case rule.Hang:
			p.hang(r)
			return
		case rule.Drop:
			p.drop(w)
			return
		case rule.Status != 0:
			p.setStatus(rec, rule.Status)
			writeEngineError(w, rule.Status, rule.Message)
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w, onStatus: func(code int) { p.setStatus(rec, code) }}
	p.rp.ServeHTTP(sw, r)
}

// hang answers nothing until the client gives up or the proxy closes.
func (p *recordingProxy) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-p.closed:
	}
}

// drop closes the connection without answering.
func (p *recordingProxy) drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// writeEngineError answers as the engine answers errors.
func writeEngineError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	onStatus func(int)
	status   int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 && code >= 200 {
		s.status = code
		s.onStatus(code)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// requestSummary counts requests by method and by "METHOD /path" with ids
// folded, for logs: "12 requests: GET 11, HEAD 1".
func requestSummary(reqs []recordedRequest) string {
	byMethod := map[string]int{}
	for _, r := range reqs {
		byMethod[r.Method]++
	}
	var parts []string
	for _, m := range sortedKeys(byMethod) {
		parts = append(parts, fmt.Sprintf("%s %d", m, byMethod[m]))
	}
	return fmt.Sprintf("%d requests: %s", len(reqs), strings.Join(parts, ", "))
}

// ---------------------------------------------------------------------------

// TestProxyForwardsAndInjects checks the proxy itself: a request forwarded
// is answered by the engine and recorded without its version prefix; a
// fault rule answers instead with the engine's error shape.
func TestProxyForwardsAndInjects(t *testing.T) {
	p := startProxy(t)
	out, errOut, code := p.run(t, "version", "--format", "json")
	if code != 0 {
		t.Fatalf("dockctl version through the proxy: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "{") {
		t.Errorf("dockctl version --format json printed %q", out)
	}
	reqs := p.Requests()
	if len(reqs) == 0 {
		t.Fatalf("the proxy recorded no request")
	}
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, "/v1.") {
			t.Errorf("recorded path %q keeps the version prefix", r.Path)
		}
		if r.Status == 0 {
			t.Errorf("%s: no status recorded", r)
		}
	}
	t.Logf("dockctl version: %s: %v", requestSummary(reqs), reqs)

	p.Reset()
	// report --no-disk reads the containers' sizes from /system/df on
	// every engine.
	p.AddFault(&faultRule{Name: "418", Method: "GET", Path: regexp.MustCompile(`^/system/df$`), Status: http.StatusTeapot, Message: "injected teapot"})
	_, errOut, code = p.run(t, "report", "--no-disk")
	if code != 1 {
		t.Errorf("dockctl report --no-disk with GET /system/df answered 418: exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "injected teapot") {
		t.Errorf("stderr does not carry the injected message: %q", errOut)
	}
	var faulted int
	for _, r := range p.Requests() {
		if r.Fault == "418" {
			faulted++
			if r.Status != http.StatusTeapot {
				t.Errorf("%s: status %d, want 418", r, r.Status)
			}
		}
	}
	if faulted == 0 {
		t.Errorf("no request hit the fault rule: %v", p.Requests())
	}

	// A delay alone still forwards.
	p.ClearFaults()
	p.Reset()
	const delay = 700 * time.Millisecond
	p.AddFault(&faultRule{Name: "delay", Method: "GET", Path: regexp.MustCompile(`^/version$`), Delay: delay})
	start := time.Now()
	_, errOut, code = p.run(t, "version")
	if took := time.Since(start); code != 0 || took < delay {
		t.Errorf("dockctl version with GET /version delayed %v: exit %d after %v (stderr %q), want exit 0 after at least the delay", delay, code, took, errOut)
	}
	for _, r := range p.Requests() {
		if r.Fault == "delay" && r.Status != http.StatusOK {
			t.Errorf("delayed %s: status %d, want 200 from the engine", r, r.Status)
		}
	}
}

// TestReadOnlyCommands: inspect, report (every format), prune --dry-run and
// version send only GET and HEAD requests (and report the upgrade to the
// engine's BuildKit, POST /grpc, whose one call, DiskUsage, reads:
// internal/engine.TestBuildCacheUsage); report and prune --dry-run make
// no /system/df where they size on disk before API 1.42 and exactly one
// elsewhere, inspect containers and volumes none where they size on disk,
// and none of them inspects a container there.
func TestReadOnlyCommands(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	// Something to read of every kind.
	ref := imageRef("ro-base", "1")
	importImage(t, ref, map[string][]byte{"/opt/ro.bin": randomBytes(t, 20<<10)}, nil)
	buildImage(t, ref, imageRef("ro-child", "1"), map[string][]byte{"/opt/ro2.bin": randomBytes(t, 10<<10)}, nil)
	createContainer(t, ref, objName("ro-exited"), containerOpts{State: stateExited, WriteBytes: 10 << 10})
	createContainer(t, ref, objName("ro-created"), containerOpts{Labels: map[string]string{"com.docker.compose.project": "dockctl-it-" + runID}})
	createVolume(t, objName("ro-vol"), nil)
	createVolume(t, "", nil)
	createNetwork(t, objName("ro-net"), nil)
	p := startProxy(t)
	htmlOut := filepath.Join(t.TempDir(), "report.html")
	eng := engineUnderTest(t)
	rdf := eng.reportDF()

	cases := []struct {
		name string
		args []string
		// df is the number of answered GET /system/df wanted, -1 for any.
		df int
	}{
		// Images come from the image list and layer data, networks from
		// the container list: no df (issue 12 item 1). Containers and
		// volumes are sized on disk where the probe can, the build cache
		// listed by BuildKit before API 1.42.
		{"inspect-images", []string{"inspect", "images"}, 0},
		{"inspect-images-json", []string{"inspect", "images", "--format", "json", "--no-trunc"}, 0},
		{"inspect-containers", []string{"inspect", "containers"}, eng.listingDF()},
		{"inspect-volumes", []string{"inspect", "volumes"}, eng.listingDF()},
		{"inspect-networks", []string{"inspect", "networks"}, 0},
		{"inspect-buildcache", []string{"inspect", "buildcache"}, eng.buildCacheDF()},
		{"report-table", []string{"report"}, rdf},
		{"report-json", []string{"report", "--format", "json"}, rdf},
		{"report-markdown", []string{"report", "--format", "markdown"}, rdf},
		{"report-html", []string{"report", "--format", "html", "-o", htmlOut}, rdf},
		{"report-verbose-by-project", []string{"report", "-v", "--by", "project"}, rdf},
		{"report-scoped-json", append([]string{"report", "--format", "json"}, filterFlags(scope)...), rdf},
		// A plan is sized as the report is.
		{"prune-dry-run", pruneArgs(scope, "--dry-run"), rdf},
		{"prune-dry-run-all", pruneArgs(scope, "--dry-run", "--all", "--all-volumes", "--format", "json"), rdf},
		{"version", []string{"version"}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.Reset()
			_, errOut, code := p.run(t, tc.args...)
			if code != 0 {
				t.Fatalf("dockctl %s: exit %d, stderr %q", strings.Join(tc.args, " "), code, errOut)
			}
			reqs := p.Requests()
			if len(reqs) == 0 {
				t.Fatalf("dockctl %s sent no request through the proxy: is DOCKER_HOST honoured?", strings.Join(tc.args, " "))
			}
			df, dfBusyAnswers := 0, 0
			paths := map[string]int{}
			for _, r := range reqs {
				// BuildKit's DiskUsage, read-only, where df would size
				// everything for the build cache alone.
				grpc := r.Method == http.MethodPost && r.Path == "/grpc" && eng.buildCacheDF() == 0
				if r.Method != http.MethodGet && r.Method != http.MethodHead && !grpc {
					t.Errorf("dockctl %s sent %s (status %d): a read-only command may only GET or HEAD", strings.Join(tc.args, " "), r, r.Status)
				}
				if r.Path == "/system/df" {
					// From API 1.42 (Docker 23) the engine sizes only the
					// types asked for; before, it sizes everything.
					if typed := strings.Contains(r.Query, "type="); typed != versionAtLeast(engineClient.ClientVersion(), "1.42") {
						t.Errorf("dockctl %s at API %s: %s (%s): types asked %v, want %v", strings.Join(tc.args, " "), engineClient.ClientVersion(), r, engineUnderTest(t), typed, !typed)
					}
					if r.Status == http.StatusOK {
						df++
					} else {
						dfBusyAnswers++
					}
				}
				paths[r.Method+" "+foldIDs(r.Path)]++
			}
			t.Logf("REQUESTS dockctl %s: %s; /system/df answered %d (refused %d); %v",
				strings.Join(tc.args, " "), requestSummary(reqs), df, dfBusyAnswers, pathCounts(paths))
			if tc.df >= 0 && df != tc.df {
				t.Errorf("dockctl %s: %d answered GET /system/df, want exactly %d on %s", strings.Join(tc.args, " "), df, tc.df, eng)
			}
			sizes := tc.args[0] == "report" || tc.args[0] == "prune" || slices.Contains(tc.args, "containers") || slices.Contains(tc.args, "volumes")
			if n := paths["GET /containers/{id}/json"]; sizes && eng.sizedOnDisk() && n > 0 && !slices.Contains(tc.args, "-v") {
				t.Errorf("dockctl %s inspected %d containers on %s: the layer store names their dirs", strings.Join(tc.args, " "), n, eng)
			}
		})
	}
}

var idSegment = regexp.MustCompile(`/(sha256:)?[0-9a-f]{12,64}(/|$)|/dockctl-it-[^?]*`)

// foldIDs replaces ids and fixture names in a path with {id}.
func foldIDs(p string) string {
	return idSegment.ReplaceAllStringFunc(p, func(s string) string {
		if strings.HasSuffix(s, "/") {
			return "/{id}/"
		}
		return "/{id}"
	})
}

func pathCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}
