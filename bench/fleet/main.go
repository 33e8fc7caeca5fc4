// Command fleet measures dockctl's fleet mode at scale without a fleet: it
// serves N fake Docker engines on unix sockets in a temp dir, each with a
// generated inventory and a fixed latency per request, and times
// `dockctl report` over all of them.
//
//	go run ./bench/fleet                     # 500 engines, 50 ms, --parallel 4,16,64
//	go run ./bench/fleet -n 100 -runs 1 -parallel 64
//
// For each --parallel it runs `dockctl report --format json` with a cold
// layer cache (a fresh cache dir) and then a warm one (the cold run's),
// -runs times each, and prints the median wall time, the peak RSS of the
// child (VmHWM, sampled), the peak of its open files (/proc/<pid>/fd,
// sampled) and how many engines answered. It checks that the JSON has N
// engines and no error rows, then runs the table format and the same fleet
// through N docker contexts (--all-contexts), and last the slow/dead
// scenario: one engine that accepts connections and never answers, and
// one socket that refuses, under --timeout; the run must end within the
// normal time plus one timeout, with exactly those two error rows. A
// violated check exits 1. Nothing listens anywhere but the temp dir.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	n         int
	latency   time.Duration
	runs      int
	parallel  []int
	timeout   time.Duration
	seed      uint64
	sizes     Sizes
	contexts  bool
	scenario  bool
	serveOnly bool
	memory    bool
	bin       string
}

func main() {
	var (
		cfg      config
		parallel string
		seed     uint
	)
	flag.IntVar(&cfg.n, "n", 500, "fake engines to serve")
	flag.DurationVar(&cfg.latency, "latency", 50*time.Millisecond, "each engine's delay before answering any request")
	flag.IntVar(&cfg.runs, "runs", 3, "timed runs of each --parallel, cold and warm cache each")
	flag.StringVar(&parallel, "parallel", "4,16,64", "comma-separated --parallel values to measure")
	flag.DurationVar(&cfg.timeout, "timeout", 2*time.Second, "dockctl --timeout in the slow/dead scenario")
	flag.UintVar(&seed, "seed", 1, "seed of the generated inventories")
	flag.IntVar(&cfg.sizes.Images, "images", 50, "images per engine")
	flag.IntVar(&cfg.sizes.Containers, "containers", 100, "containers per engine (a quarter running)")
	flag.IntVar(&cfg.sizes.Volumes, "volumes", 30, "volumes per engine")
	flag.IntVar(&cfg.sizes.BuildCache, "build-cache", 20, "build cache records per engine")
	flag.IntVar(&cfg.sizes.Catalogue, "catalogue", 200, "distinct images the fleet draws its images from")
	flag.BoolVar(&cfg.contexts, "contexts", true, "also run the fleet as N docker contexts (--all-contexts)")
	flag.BoolVar(&cfg.scenario, "scenario", true, "also run the slow/dead engine scenario")
	flag.BoolVar(&cfg.serveOnly, "serve", false, "only serve the engines, print a dockctl command line over them, and wait for Ctrl-C (for profiling)")
	flag.StringVar(&cfg.bin, "dockctl", "", "dockctl binary to measure (default: build ./cmd/dockctl)")
	flag.BoolVar(&cfg.memory, "memory", false, "instead: serve one engine of -containers (default 10,000) and measure the peak RSS of `dockctl report -v --format json` over it, -runs times (issue 12 item 4)")
	flag.Parse()
	if cfg.memory {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["containers"] {
			cfg.sizes.Containers = 10000
		}
		if !set["volumes"] {
			cfg.sizes.Volumes = 2000
		}
		if !set["images"] {
			cfg.sizes.Images = 200
		}
		if !set["build-cache"] {
			cfg.sizes.BuildCache = 500
		}
		if !set["latency"] {
			cfg.latency = 0
		}
		cfg.n = 1
		if err := memoryRun(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		return
	}
	cfg.seed = uint64(seed)
	for _, p := range strings.Split(parallel, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 || v > 64 {
			fmt.Fprintf(os.Stderr, "fleet: -parallel %q: each value must be 1 to 64\n", parallel)
			os.Exit(2)
		}
		cfg.parallel = append(cfg.parallel, v)
	}
	if cfg.n < 4 || cfg.runs < 1 || cfg.sizes.Images < 1 || cfg.sizes.Catalogue < cfg.sizes.Images {
		fmt.Fprintln(os.Stderr, "fleet: need -n >= 4, -runs >= 1, -images >= 1 and -catalogue >= -images")
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

// fleet is the served engines.
type fleet struct {
	dir     string
	hosts   []string // unix://… of each engine, in order
	servers []*http.Server
	closers []interface{ Close() error }
}

func (f *fleet) Close() {
	for _, s := range f.servers {
		_ = s.Close()
	}
	for _, c := range f.closers {
		_ = c.Close()
	}
}

// serve starts n engines on sockets in dir, plus a hung one and a refusing
// one for the scenario.
func serve(dir string, cfg config) (*fleet, string, string, error) {
	cat, err := newCatalogue(cfg.seed, cfg.sizes.Catalogue)
	if err != nil {
		return nil, "", "", err
	}
	f := &fleet{dir: dir}
	for i := range cfg.n {
		eng, err := newEngine(i, cfg.seed, cfg.sizes, cat, cfg.latency)
		if err != nil {
			f.Close()
			return nil, "", "", err
		}
		sock := filepath.Join(dir, fmt.Sprintf("e%03d.sock", i))
		ln, err := net.Listen("unix", sock)
		if err != nil {
			f.Close()
			return nil, "", "", err
		}
		srv := &http.Server{Handler: eng, ReadHeaderTimeout: time.Minute}
		go func() { _ = srv.Serve(ln) }()
		f.servers = append(f.servers, srv)
		f.hosts = append(f.hosts, "unix://"+sock)
	}
	hungSock := filepath.Join(dir, "hung.sock")
	ln, err := net.Listen("unix", hungSock)
	if err != nil {
		f.Close()
		return nil, "", "", err
	}
	hung := &hungListener{ln: ln}
	go hung.serve()
	f.closers = append(f.closers, hung)
	// A socket file nobody listens on: connecting is refused, as when the
	// daemon died and left its socket behind.
	deadSock := filepath.Join(dir, "dead.sock")
	dl, err := net.ListenUnix("unix", &net.UnixAddr{Name: deadSock, Net: "unix"})
	if err != nil {
		f.Close()
		return nil, "", "", err
	}
	dl.SetUnlinkOnClose(false)
	_ = dl.Close()
	return f, "unix://" + hungSock, "unix://" + deadSock, nil
}

// sample is one measured dockctl run.
type sample struct {
	wall    time.Duration
	rssKiB  int64
	peakFDs int
	stdout  []byte
	stderr  []byte
	exit    int
}

// measure runs bin, sampling its open files (/proc/<pid>/fd) and its
// peak RSS (VmHWM of /proc/<pid>/status, a high-water mark, so a sample
// misses at most the growth of the last few milliseconds) every 5 ms.
// wait4's Maxrss cannot be used: Go starts a child with vfork, and Linux
// charges the parent's own high-water mark to the child when it execs,
// so every run would report at least this process's RSS (the fleet's
// pre-encoded answers: some 200 MiB).
func measure(bin string, args, env []string) (sample, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	proc := fmt.Sprintf("/proc/%d", cmd.Process.Pid)
	type peaks struct {
		fds    int
		rssKiB int64
	}
	peak := make(chan peaks)
	stop := make(chan struct{})
	go func() {
		var p peaks
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if d, err := os.Open(proc + "/fd"); err == nil {
				names, _ := d.Readdirnames(-1)
				_ = d.Close()
				p.fds = max(p.fds, len(names))
			}
			p.rssKiB = max(p.rssKiB, vmHWM(proc+"/status"))
			select {
			case <-stop:
				peak <- p
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(stop)
	p := <-peak
	s := sample{wall: wall, peakFDs: p.fds, rssKiB: p.rssKiB, stdout: out.Bytes(), stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		s.exit = ee.ExitCode()
	case err != nil:
		return s, err
	}
	return s, nil
}

// vmHWM reads a process's peak resident set size in KiB (0 once it is
// gone).
func vmHWM(status string) int64 {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb
		}
	}
	return 0
}

// fleetDoc is the part of dockctl's fleet JSON the checks read.
type fleetDoc struct {
	Schema  string `json:"schema"`
	Engines []struct {
		Name   string          `json:"name"`
		Report json.RawMessage `json:"report"`
		Error  string          `json:"error"`
	} `json:"engines"`
	Totals struct {
		Engines, Answered, Failed, Duplicates int
	} `json:"totals"`
}

// check parses a fleet report and returns its error rows (name: error).
func check(s sample, want int) (map[string]string, error) {
	var doc fleetDoc
	if err := json.Unmarshal(s.stdout, &doc); err != nil {
		return nil, fmt.Errorf("exit %d, output is not JSON (%v); stderr: %s", s.exit, err, firstLine(s.stderr))
	}
	if doc.Schema != "dockctl.fleet-report/v1" || len(doc.Engines) != want || doc.Totals.Engines != want {
		return nil, fmt.Errorf("schema %q with %d engines (totals %d), want %d", doc.Schema, len(doc.Engines), doc.Totals.Engines, want)
	}
	if doc.Totals.Duplicates != 0 {
		return nil, fmt.Errorf("%d engines taken for duplicates: the fake engines' ids collide", doc.Totals.Duplicates)
	}
	errs := map[string]string{}
	for _, e := range doc.Engines {
		switch {
		case e.Error != "":
			errs[e.Name] = e.Error
		case len(e.Report) == 0 || string(e.Report) == "null":
			return nil, fmt.Errorf("engine %s has neither a report nor an error", e.Name)
		}
	}
	if doc.Totals.Failed != len(errs) || doc.Totals.Answered != want-len(errs) {
		return nil, fmt.Errorf("totals say %d answered, %d failed; rows say %d failed", doc.Totals.Answered, doc.Totals.Failed, len(errs))
	}
	return errs, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// row is one line of the results table.
type row struct {
	label   string
	walls   []time.Duration
	rssKiB  int64
	peakFDs int
	ok      int
	of      int
}

func (r row) median() time.Duration {
	w := slices.Clone(r.walls)
	slices.Sort(w)
	return w[len(w)/2]
}

func (r row) String() string {
	w := slices.Clone(r.walls)
	slices.Sort(w)
	spread := ""
	if len(w) > 1 {
		spread = fmt.Sprintf(" (%.2f–%.2f)", w[0].Seconds(), w[len(w)-1].Seconds())
	}
	return fmt.Sprintf("| %s | %d | %.2f s%s | %.0f MiB | %d | %d/%d |",
		r.label, len(w), r.median().Seconds(), spread, float64(r.rssKiB)/1024, r.peakFDs, r.ok, r.of)
}

func run(cfg config) error {
	tmp, err := os.MkdirTemp("", "dockctl-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if !cfg.serveOnly {
		// Ctrl-C still removes the sockets and caches.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-sig
			_ = os.RemoveAll(tmp)
			os.Exit(130)
		}()
	}
	bin := cfg.bin
	if bin == "" {
		bin = filepath.Join(tmp, "dockctl")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/dockctl").CombinedOutput(); err != nil {
			return fmt.Errorf("building dockctl: %v\n%s", err, out)
		}
	}
	sockDir := filepath.Join(tmp, "s")
	if err := os.Mkdir(sockDir, 0o700); err != nil {
		return err
	}
	start := time.Now()
	fl, hung, dead, err := serve(sockDir, cfg)
	if err != nil {
		return fmt.Errorf("serving the fake engines: %w", err)
	}
	defer fl.Close()
	fmt.Fprintf(os.Stderr, "serving %d engines in %s (set up in %v)\n", cfg.n, sockDir, time.Since(start).Round(time.Millisecond))

	hostArgs := func(hosts []string) []string {
		var a []string
		for _, h := range hosts {
			a = append(a, "-H", h)
		}
		return a
	}
	if cfg.serveOnly {
		list := filepath.Join(tmp, "hosts.args")
		if err := os.WriteFile(list, []byte(strings.Join(hostArgs(fl.hosts), "\n")+"\n"), 0o600); err != nil {
			return err
		}
		fmt.Printf("xargs -d '\\n' -a %s dockctl report --format json --parallel 64 >/dev/null\n", list)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		return nil
	}

	emptyCfg := filepath.Join(tmp, "docker-config")
	if err := os.Mkdir(emptyCfg, 0o700); err != nil {
		return err
	}
	baseEnv := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DOCKER_") || strings.HasPrefix(kv, "XDG_CACHE_HOME=") || strings.HasPrefix(kv, "NO_COLOR=") {
			continue
		}
		baseEnv = append(baseEnv, kv)
	}
	cacheN := 0
	newCache := func() string {
		cacheN++
		return filepath.Join(tmp, fmt.Sprintf("cache%d", cacheN))
	}
	envWith := func(cache, dockerConfig string, extra ...string) []string {
		return append(slices.Clone(baseEnv), append([]string{"XDG_CACHE_HOME=" + cache, "DOCKER_CONFIG=" + dockerConfig}, extra...)...)
	}
	args := func(p int, format string, hosts []string) []string {
		return append([]string{"report", "--format", format, "--parallel", strconv.Itoa(p)}, hostArgs(hosts)...)
	}
	argBytes := 0
	for _, a := range args(64, "json", fl.hosts) {
		argBytes += len(a) + 1
	}
	fmt.Fprintf(os.Stderr, "command line: %d arguments, %d bytes (Linux allows a quarter of the stack limit: 2 MiB by default)\n", len(args(64, "json", fl.hosts)), argBytes)

	// One untimed run: the binary and the first cache into memory.
	if _, err := measure(bin, args(64, "json", fl.hosts), envWith(newCache(), emptyCfg)); err != nil {
		return err
	}

	var rows []row
	var failures []string
	warmAt := map[int]time.Duration{}
	for _, p := range cfg.parallel {
		cold := row{label: fmt.Sprintf("%d | cold", p), of: cfg.n, ok: cfg.n}
		warm := row{label: fmt.Sprintf("%d | warm", p), of: cfg.n, ok: cfg.n}
		for range cfg.runs {
			cache := newCache()
			for _, r := range []*row{&cold, &warm} {
				s, err := measure(bin, args(p, "json", fl.hosts), envWith(cache, emptyCfg))
				if err != nil {
					return err
				}
				errs, err := check(s, cfg.n)
				if err != nil {
					return fmt.Errorf("--parallel %d: %w", p, err)
				}
				if len(errs) > 0 || s.exit != 0 {
					failures = append(failures, fmt.Sprintf("--parallel %d: exit %d, %d error rows (%v)", p, s.exit, len(errs), firstOf(errs)))
				}
				r.ok = min(r.ok, cfg.n-len(errs))
				r.walls = append(r.walls, s.wall)
				r.rssKiB = max(r.rssKiB, s.rssKiB)
				r.peakFDs = max(r.peakFDs, s.peakFDs)
				fmt.Fprintf(os.Stderr, "  --parallel %-2d %s  %6.2f s  %4.0f MiB  %4d fds\n", p, r.label[strings.Index(r.label, "|")+2:], s.wall.Seconds(), float64(s.rssKiB)/1024, s.peakFDs)
			}
		}
		rows = append(rows, cold, warm)
		warmAt[p] = warm.median()
	}

	pTop := slices.Max(cfg.parallel)
	warmCache := newCache()
	if _, err := measure(bin, args(pTop, "json", fl.hosts), envWith(warmCache, emptyCfg)); err != nil {
		return err
	}
	// The table format over the same fleet: every engine named, exit 0.
	ts, err := measure(bin, append(args(pTop, "table", fl.hosts), "--no-explain"), envWith(warmCache, emptyCfg))
	if err != nil {
		return err
	}
	missing := 0
	for _, h := range fl.hosts {
		if !bytes.Contains(ts.stdout, []byte(h)) {
			missing++
		}
	}
	if ts.exit != 0 || missing > 0 {
		failures = append(failures, fmt.Sprintf("table format: exit %d, %d engines not named; stderr: %s", ts.exit, missing, firstLine(ts.stderr)))
	}
	rows = append(rows, row{label: fmt.Sprintf("%d | warm, --format table", pTop), walls: []time.Duration{ts.wall}, rssKiB: ts.rssKiB, peakFDs: ts.peakFDs, ok: cfg.n - missing, of: cfg.n})

	if cfg.contexts {
		r, err := contextsRun(bin, tmp, fl.hosts, pTop, baseEnv, warmCache)
		if err != nil {
			failures = append(failures, err.Error())
		}
		rows = append(rows, r)
	}

	fmt.Printf("\nMachine: %s\n", machine())
	fmt.Printf("Fleet: %d engines on unix sockets, %v per request; each engine %d images (of a %d-image catalogue, on 8 shared bases), %d containers (a quarter running), %d volumes, %d build cache records, 7 networks\n\n",
		cfg.n, cfg.latency, cfg.sizes.Images, cfg.sizes.Catalogue, cfg.sizes.Containers, cfg.sizes.Volumes, cfg.sizes.BuildCache)
	fmt.Println("| --parallel | layer cache | runs | wall, median (min–max) | peak RSS | peak open files | engines OK |")
	fmt.Println("|--:|---|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		fmt.Println(r)
	}

	if cfg.scenario {
		lines, errs := scenario(bin, fl.hosts, hung, dead, pTop, cfg, warmAt[pTop], envWith(warmCache, emptyCfg))
		fmt.Println()
		for _, l := range lines {
			fmt.Println(l)
		}
		failures = append(failures, errs...)
	}

	if wall, ok := warmAt[64]; ok && cfg.n == 500 && cfg.latency == 50*time.Millisecond {
		var coldWall time.Duration
		var rss int64
		for _, r := range rows {
			if strings.HasPrefix(r.label, "64 | cold") {
				coldWall = r.median()
			}
			rss = max(rss, r.rssKiB)
		}
		fmt.Printf("\nGoals: 500 engines < 10 s at --parallel 64: cold %.2f s, warm %.2f s (%s); peak RSS ≤ 200 MiB: %.0f MiB (%s)\n",
			coldWall.Seconds(), wall.Seconds(), metOrNot(max(coldWall, wall) < 10*time.Second), float64(rss)/1024, metOrNot(rss <= 200*1024))
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d checks failed:\n  %s", len(failures), strings.Join(failures, "\n  "))
	}
	return nil
}

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func firstOf(m map[string]string) string {
	for k, v := range m {
		return k + ": " + v
	}
	return ""
}

// contextsRun reaches the same fleet as docker contexts: the default
// context (DOCKER_HOST) is the first engine, a context per other engine.
func contextsRun(bin, tmp string, hosts []string, p int, baseEnv []string, cache string) (row, error) {
	r := row{label: fmt.Sprintf("%d | warm, --all-contexts", p), of: len(hosts)}
	dir := filepath.Join(tmp, "docker-contexts")
	for i, h := range hosts[1:] {
		name := fmt.Sprintf("fleet-%03d", i+1)
		sum := sha256.Sum256([]byte(name))
		meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
		if err := os.MkdirAll(meta, 0o700); err != nil {
			return r, err
		}
		b, _ := json.Marshal(map[string]any{"Name": name, "Metadata": map[string]any{}, "Endpoints": map[string]any{"docker": map[string]any{"Host": h, "SkipTLSVerify": false}}})
		if err := os.WriteFile(filepath.Join(meta, "meta.json"), b, 0o600); err != nil {
			return r, err
		}
	}
	env := append(slices.Clone(baseEnv), "XDG_CACHE_HOME="+cache, "DOCKER_CONFIG="+dir, "DOCKER_HOST="+hosts[0])
	s, err := measure(bin, []string{"report", "--format", "json", "--parallel", strconv.Itoa(p), "--all-contexts"}, env)
	if err != nil {
		return r, err
	}
	r.walls, r.rssKiB, r.peakFDs = []time.Duration{s.wall}, s.rssKiB, s.peakFDs
	errs, err := check(s, len(hosts))
	if err != nil {
		return r, fmt.Errorf("--all-contexts: %w", err)
	}
	r.ok = len(hosts) - len(errs)
	if len(errs) > 0 || s.exit != 0 {
		return r, fmt.Errorf("--all-contexts: exit %d, %d error rows (%s)", s.exit, len(errs), firstOf(errs))
	}
	return r, nil
}

// scenario replaces two engines of the fleet: the middle one by a socket
// that refuses, the last by one that never answers (the last: started in
// the last wave, nothing else can hide its delay). The run must end within
// the normal warm time plus one --timeout (plus slack for a noisy
// machine), with exactly those two error rows and every other engine's
// report complete.
func scenario(bin string, hosts []string, hung, dead string, p int, cfg config, normal time.Duration, env []string) ([]string, []string) {
	hs := slices.Clone(hosts)
	hs[len(hs)/2] = dead
	hs[len(hs)-1] = hung
	args := []string{"report", "--format", "json", "--parallel", strconv.Itoa(p), "--timeout", cfg.timeout.String()}
	for _, h := range hs {
		args = append(args, "-H", h)
	}
	s, err := measure(bin, args, env)
	if err != nil {
		return nil, []string{"scenario: " + err.Error()}
	}
	slack := max(time.Second, normal/4)
	bound := normal + cfg.timeout + slack
	lines := []string{
		fmt.Sprintf("Slow/dead scenario (--parallel %d, --timeout %v): engine %d of %d refuses connections, the last (%d) accepts and never answers.", p, cfg.timeout, len(hs)/2+1, len(hs), len(hs)),
		fmt.Sprintf("wall %.2f s against %.2f s without them (bound: normal + timeout + %.2f s slack = %.2f s); exit %d; peak RSS %.0f MiB; peak open files %d",
			s.wall.Seconds(), normal.Seconds(), slack.Seconds(), bound.Seconds(), s.exit, float64(s.rssKiB)/1024, s.peakFDs),
	}
	var fails []string
	errs, err := check(s, len(hs))
	if err != nil {
		return lines, []string{"scenario: " + err.Error()}
	}
	for _, name := range []string{dead, hung} {
		e, ok := errs[name]
		if !ok {
			fails = append(fails, "scenario: no error row for "+name)
			continue
		}
		lines = append(lines, fmt.Sprintf("error row %s: %s", filepath.Base(name), e))
	}
	lines = append(lines, fmt.Sprintf("error rows: %d; engines with a complete report: %d of %d", len(errs), len(hs)-len(errs), len(hs)))
	if len(errs) != 2 {
		fails = append(fails, fmt.Sprintf("scenario: %d error rows, want 2 (%v)", len(errs), firstOf(errs)))
	}
	if s.exit != 0 {
		fails = append(fails, fmt.Sprintf("scenario: exit %d, want 0 (failures are rows, not the command's failure); stderr: %s", s.exit, firstLine(s.stderr)))
	}
	if s.wall > bound {
		fails = append(fails, fmt.Sprintf("scenario: took %.2f s, more than the normal %.2f s + one --timeout %v + slack %.2f s: a hung engine held the run", s.wall.Seconds(), normal.Seconds(), cfg.timeout, slack.Seconds()))
	}
	return lines, fails
}

// machine describes where the figures come from.
func machine() string {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.Atoi(f[1]); err == nil {
					mem = fmt.Sprintf(", %d GiB", (kb+(1<<19))>>20)
				}
			}
		}
	}
	return fmt.Sprintf("%d cores%s, Linux %s %s, %s; the fake engines run in the benchmark's own process, on the same cores",
		runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), runtime.GOARCH, runtime.Version())
}
