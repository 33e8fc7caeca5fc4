package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moby/term"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/lock"
	"github.com/dockctl/dockctl/internal/prune"
	"github.com/dockctl/dockctl/internal/render"
)

// Engine is every engine call the commands make: the union of the narrow
// interfaces the packages declare, plus version information.
type Engine interface {
	inspect.Client
	inspect.EngineClient
	inspect.LayerClient
	prune.Client
	engine.Hijacker
	Close() error
}

// IOStreams are the command's standard streams and what they are attached to.
type IOStreams struct {
	In       io.Reader
	Out      io.Writer
	ErrOut   io.Writer
	InIsTTY  bool
	OutIsTTY bool
	ErrIsTTY bool
	// OutWidth is the columns of the terminal Out is, read once at the
	// start; 0 when Out is no terminal (no limit).
	OutWidth int
}

// Factory hands commands what they share: streams, environment, clock, the
// global flags and a lazily dialled engine.
type Factory struct {
	IO        IOStreams
	Env       engine.Env
	Now       func() time.Time
	Conn      engine.Options
	LangFlag  string
	NoExplain bool
	// DFTimeout is --df-timeout: the bound of /system/df, which --timeout
	// does not bound; not given, df is waited for as docker waits.
	DFTimeout Duration

	// Hosts and Contexts are the repeatable -H and --context flags; one of
	// them alone names the engine (as Conn would), more than one engine in
	// all, or AllContexts, makes a fleet run (see Targets).
	Hosts, Contexts []string
	AllContexts     bool
	// Strict makes a fleet run fail when any engine fails, not only when
	// all do; Parallel bounds the engines queried at once.
	Strict   bool
	Parallel int

	// Dial connects to an endpoint, bounding each request by timeout;
	// tests replace it with a fake engine.
	Dial func(ep engine.Endpoint, env engine.Env, timeout time.Duration) (Engine, error)
	// LockDir holds the prune locks: lock.SharedDir, the one folder every
	// dockctl on the host sees (not the user's cache dir); tests move it.
	LockDir string

	// Sleep waits d, or until ctx is done (then it returns ctx.Err()):
	// the clock of --every's rounds and retries, which tests advance
	// instead of waiting. Jitter returns a number in [0, 1): the random
	// share of a retry's backoff left out.
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
	// CompletionTimeout bounds what one shell completion asks the engine:
	// the shell waits for it at every TAB.
	CompletionTimeout time.Duration

	once     sync.Once
	eng      Engine
	endpoint engine.Endpoint
	dialErr  error
	errMu    sync.Mutex // serialises fleet runs' stderr lines
}

// NewFactory builds a Factory on real streams.
func NewFactory(in io.Reader, out, errOut io.Writer, env engine.Env) *Factory {
	f := &Factory{
		IO: IOStreams{
			In: in, Out: out, ErrOut: errOut,
			InIsTTY: isTerminal(in), OutIsTTY: isTerminal(out), ErrIsTTY: isTerminal(errOut),
			OutWidth: terminalWidth(out),
		},
		Env:               env,
		Now:               time.Now,
		Parallel:          DefaultParallel,
		LockDir:           lock.SharedDir(),
		Sleep:             sleepContext,
		Jitter:            rand.Float64,
		CompletionTimeout: 2 * time.Second,
	}
	f.Dial = func(ep engine.Endpoint, env engine.Env, timeout time.Duration) (Engine, error) {
		return engine.New(ep, env, timeout, engine.DiskUsageTimeout(f.DFTimeout.D))
	}
	return f
}

// isTerminal reports whether v is a terminal: a file whose terminal
// attributes can be read. Being a character device is not enough, since
// /dev/null is one too.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// terminalWidth is the columns of the terminal v is, 0 when it is none
// or will not say.
func terminalWidth(v any) int {
	f, ok := v.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return 0
	}
	ws, err := term.GetWinsize(f.Fd())
	if err != nil {
		return 0
	}
	return int(ws.Width)
}

// DefaultParallel is how many engines a fleet run queries at once.
const DefaultParallel = 4

var apiVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+$`)

// validateGlobal checks the global flags before any command runs, so bad
// input never reaches the engine.
func (f *Factory) validateGlobal() error {
	if f.Conn.Timeout <= 0 {
		return clierr.Usage("--timeout", f.Conn.Timeout.String(), "must be positive")
	}
	if f.DFTimeout.Text != "" && f.DFTimeout.D <= 0 {
		return clierr.Usage("--df-timeout", f.DFTimeout.Text, "must be positive")
	}
	if _, err := f.Lang(); err != nil {
		return err
	}
	if v := f.Env("DOCKER_API_VERSION"); v != "" && !apiVersion.MatchString(v) {
		return clierr.Usage("DOCKER_API_VERSION", v, "must look like 1.41")
	}
	if f.Parallel < 1 || f.Parallel > 64 {
		return clierr.Usage("--parallel", fmt.Sprint(f.Parallel), "must be between 1 and 64")
	}
	// Resolve early: a bad --host or --context is a usage error, and it
	// costs no engine round trip.
	if f.Fleet() {
		targets, err := f.Targets()
		if err != nil {
			return err
		}
		for _, t := range targets {
			if t.Discovered {
				continue // a context that does not resolve is an error row
			}
			if _, err := engine.Resolve(t.Options, f.Env); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := engine.Resolve(f.conn(), f.Env)
	return err
}

// conn is the connection of a single-engine run: Conn, with the one -H or
// --context given.
func (f *Factory) conn() engine.Options {
	o := f.Conn
	if hosts := distinct(f.Hosts); o.Host == "" && len(hosts) == 1 {
		o.Host = hosts[0]
	}
	if contexts := distinct(f.Contexts); o.Context == "" && len(contexts) == 1 {
		o.Context = contexts[0]
	}
	return o
}

// distinct is list without repeats, in first-seen order.
func distinct(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Fleet reports whether the command line names several engines. A value
// given twice names one engine (Targets counts it once; and cobra parses
// the line twice before a completion function runs, which doubles every
// repeatable flag's values).
func (f *Factory) Fleet() bool {
	if f.AllContexts {
		return true
	}
	targets, _ := f.Targets()
	return len(targets) > 1
}

// Target is one engine of a fleet run, named as the user named it: the
// context's name or the -H address.
type Target struct {
	Name    string
	Options engine.Options
	// Discovered is set for the contexts --all-contexts found (rather than
	// the user typed): one that does not resolve (an ssh:// endpoint, a
	// broken meta.json) is that engine's error, not a usage error.
	Discovered bool
}

// Targets lists the engines of a fleet run in command-line order: each -H,
// each --context, then (--all-contexts) every docker context, the default
// one first as in 'docker context ls'. A name given twice counts once.
func (f *Factory) Targets() ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	add := func(name string, o engine.Options, discovered bool) {
		if seen[name] {
			return
		}
		seen[name] = true
		o.Timeout = f.Conn.Timeout
		out = append(out, Target{Name: name, Options: o, Discovered: discovered})
	}
	for _, h := range f.Hosts {
		add(h, engine.Options{Host: h}, false)
	}
	for _, c := range f.Contexts {
		add(c, engine.Options{Context: c}, false)
	}
	if f.AllContexts {
		names, err := engine.ContextNames(f.Env)
		if err != nil {
			return nil, err
		}
		for _, c := range names {
			add(c, engine.Options{Context: c}, true)
		}
	}
	return out, nil
}

// forTarget is a Factory for one engine of a fleet run: the same settings,
// its own lazily dialled engine, no stdout (its result is a value the
// fleet renders), warnings on stderr prefixed with the engine's name,
// never a terminal (fleet runs do not ask).
func (f *Factory) forTarget(t Target) *Factory {
	return &Factory{
		IO:        IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &prefixWriter{w: f.IO.ErrOut, mu: &f.errMu, prefix: "[" + t.Name + "] "}},
		Env:       f.Env,
		Now:       f.Now,
		Conn:      t.Options,
		LangFlag:  f.LangFlag,
		NoExplain: f.NoExplain,
		DFTimeout: f.DFTimeout,
		Parallel:  1,
		Dial:      f.Dial,
		LockDir:   f.LockDir,
		Sleep:     f.Sleep,
		Jitter:    f.Jitter,
	}
}

// prefixWriter writes whole lines, each prefixed, one writer at a time.
type prefixWriter struct {
	w      io.Writer
	mu     *sync.Mutex
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := io.WriteString(p.w, p.prefix+string(p.buf[:i+1])); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}

// Engine returns the engine client, creating it on first use. Creating it
// does not dial; the first request does.
func (f *Factory) Engine() (Engine, engine.Endpoint, error) {
	f.once.Do(func() {
		f.endpoint, f.dialErr = engine.Resolve(f.conn(), f.Env)
		if f.dialErr != nil {
			return
		}
		f.eng, f.dialErr = f.Dial(f.endpoint, f.Env, f.Conn.Timeout)
	})
	return f.eng, f.endpoint, f.dialErr
}

// describeError renders err for the one line dockctl prints on failure:
// engine errors get their status and the explanation of that status.
func (f *Factory) describeError(err error) string {
	err = engine.Classify(err, f.endpoint.Host)
	text := withFlagAdvice(err)
	if f.NoExplain {
		return text
	}
	var ae *engine.APIError
	if errors.As(err, &ae) {
		if note := f.statusNote(ae.Status); note != "" {
			return fmt.Sprintf("%s — %s", text, note)
		}
	}
	// An unreachable engine gets no note: the error says what to check,
	// and a paragraph on the TCP handshake would not help (`dockctl
	// explain tcp` has it).
	return text
}

// Lang returns the explanation language from --lang or the locale.
func (f *Factory) Lang() (string, error) {
	switch f.LangFlag {
	case "en", "zh", "both":
		return f.LangFlag, nil
	case "":
	default:
		return "", clierr.Usage("--lang", f.LangFlag, "must be en, zh or both")
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := f.Env(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return "zh", nil
			}
			return "en", nil
		}
	}
	return "en", nil
}

// explained returns the docker commands behind a dockctl operation, or
// nothing under --no-explain.
func (f *Factory) explained(op string) (render.Explained, error) {
	lang, err := f.Lang()
	if err != nil || f.NoExplain {
		return render.Explained{Lang: lang}, err
	}
	return render.Explained{Entries: explain.ForOperation(op), Lang: lang}, nil
}

// CacheDir is dockctl's folder in the user's cache dir (XDG_CACHE_HOME,
// else ~/.cache), read from the Factory's environment so tests can move it.
func (f *Factory) CacheDir() string {
	if d := f.Env("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "dockctl")
	}
	if h := f.Env("HOME"); h != "" {
		return filepath.Join(h, ".cache", "dockctl")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "dockctl")
	}
	return filepath.Join(os.TempDir(), "dockctl")
}
