package cmd

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/render"
)

// namedEngine has an object of every kind with a name, and labels.
func namedEngine(t *testing.T) *fake.Engine {
	return &fake.Engine{
		ImageListFn: func(context.Context, image.ListOptions) ([]image.Summary, error) {
			return []image.Summary{
				{ID: "sha256:a", RepoTags: []string{"app:1", "app:latest"}, Labels: map[string]string{"team": "web"}},
				{ID: "sha256:b", RepoTags: []string{"<none>:<none>"}, Labels: map[string]string{"org.opencontainers.image.source": "x"}},
			}, nil
		},
		ContainerListFn: func(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
			if !o.All {
				t.Error("containers listed without All: stopped ones would be missing")
			}
			return []container.Summary{
				{ID: "c1", Names: []string{"/job"}, Labels: map[string]string{"com.docker.compose.project": "shop"}},
				{ID: "c2", Names: []string{"/web-1"}, Labels: map[string]string{"com.docker.compose.project": "shop", "team": "api"}},
			}, nil
		},
		VolumeListFn: func(context.Context, volume.ListOptions) (volume.ListResponse, error) {
			return volume.ListResponse{Volumes: []*volume.Volume{{Name: "pgdata", Labels: map[string]string{"com.docker.compose.project": "shop"}}}}, nil
		},
		NetworkListFn: func(context.Context, network.ListOptions) ([]network.Summary, error) {
			return []network.Summary{{Name: "bridge"}, {Name: "shop_default", Labels: map[string]string{"com.docker.compose.project": "shop"}}}, nil
		},
	}
}

// completed is what one `dockctl __complete …` printed.
type completed struct {
	code           int
	values         []string // candidates without their descriptions
	lines          []string // candidates as printed
	directive      cobra.ShellCompDirective
	stdout, stderr string
	dialled        []engine.Endpoint
}

// completeCLI runs `dockctl __complete args…` in-process, as the shell
// scripts do, with dial standing for the engine.
func completeCLI(t *testing.T, dial func(engine.Endpoint) (Engine, error), env map[string]string, args ...string) completed {
	t.Helper()
	return completeWithin(t, 2*time.Second, dial, env, args...)
}

// completeWithin is completeCLI with the engine's answers bounded by
// timeout.
func completeWithin(t *testing.T, timeout time.Duration, dial func(engine.Endpoint) (Engine, error), env map[string]string, args ...string) completed {
	t.Helper()
	f, out, errOut := testFactory(t, env)
	f.CompletionTimeout = timeout
	var r completed
	f.Dial = func(ep engine.Endpoint, _ engine.Env, _ time.Duration) (Engine, error) {
		r.dialled = append(r.dialled, ep)
		return dial(ep)
	}
	r.code = Run(context.Background(), f, append([]string{cobra.ShellCompRequestCmd}, args...))
	r.stdout, r.stderr = out.String(), errOut.String()
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	d, err := strconv.Atoi(strings.TrimPrefix(last, ":"))
	if !strings.HasPrefix(last, ":") || err != nil {
		t.Fatalf("__complete %q: stdout does not end with the directive:\n%s", args, r.stdout)
	}
	r.directive = cobra.ShellCompDirective(d)
	r.lines = lines[:len(lines)-1]
	for _, l := range r.lines {
		v, _, _ := strings.Cut(l, "\t")
		r.values = append(r.values, v)
	}
	return r
}

func dialFake(e *fake.Engine) func(engine.Endpoint) (Engine, error) {
	return func(engine.Endpoint) (Engine, error) { return e, nil }
}

const (
	noFile  = cobra.ShellCompDirectiveNoFileComp
	keyOnly = cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
)

func TestCompletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		want      []string // exactly these candidates, in this order
		contains  []string // at least these (for lists owned elsewhere)
		directive cobra.ShellCompDirective
		engine    bool // whether the engine may be asked
	}{
		{"inspect kinds", []string{"inspect", ""}, []string{"orphans", "images", "containers", "volumes", "networks", "buildcache"}, nil, noFile, false},
		{"inspect kind prefix", []string{"inspect", "v"}, []string{"volumes"}, nil, noFile, false},
		{"inspect takes one kind, no names", []string{"inspect", "images", ""}, nil, nil, noFile, false},
		{"inspect NAME: objects when no kind starts so", []string{"inspect", "app"}, []string{"app:1", "app:latest"}, nil, noFile, true},
		{"inspect NAME: every named kind", []string{"inspect", "s"}, []string{"shop_default"}, nil, noFile, true},
		{"prune kinds not given yet", []string{"prune", "images", "volume", ""}, []string{"containers", "networks", "buildcache", "logs"}, nil, noFile, false},
		{"prune takes no kinds with --apply", []string{"prune", "--apply", "plan.json", ""}, nil, nil, noFile, false},
		{"report takes no arguments", []string{"report", ""}, nil, nil, noFile, false},
		{"version takes no arguments", []string{"version", ""}, nil, nil, noFile, false},

		{"keep: every name", []string{"prune", "--keep", ""}, []string{"app:1", "app:latest", "bridge", "job", "pgdata", "shop_default", "web-1"}, nil, noFile, true},
		{"keep: names of the kinds given", []string{"prune", "images", "--keep", ""}, []string{"app:1", "app:latest"}, nil, noFile, true},
		{"keep: prefix", []string{"prune", "--keep", "app:l"}, []string{"app:latest"}, nil, noFile, true},
		{"keep: build cache has no names", []string{"prune", "buildcache", "--keep", ""}, nil, nil, noFile, false},
		{"keep-label: keys", []string{"prune", "--keep-label", ""}, []string{"com.docker.compose.project", "org.opencontainers.image.source", "team"}, nil, noFile, true},
		{"keep-label: values after =", []string{"prune", "--keep-label", "team="}, []string{"team=api", "team=web"}, nil, noFile, true},
		{"project: the engine's compose projects", []string{"report", "--project", ""}, []string{"shop"}, nil, noFile, true},
		{"keep-label: of the kinds given", []string{"prune", "volumes", "--keep-label", ""}, []string{"com.docker.compose.project"}, nil, noFile, true},

		{"prune filter keys", []string{"prune", "--filter", ""}, []string{"label=", "label!=", "until=", "id="}, nil, keyOnly, false},
		{"prune filter labels", []string{"prune", "containers", "-f", "label="}, []string{"label=com.docker.compose.project", "label=team"}, nil, noFile, true},
		{"report filter label!", []string{"report", "--filter", "label!=co"}, []string{"label!=com.docker.compose.project"}, nil, noFile, true},
		{"report filter until", []string{"report", "--filter", "until="}, nil, nil, noFile, false},
		{"inspect filter keys of the kind", []string{"inspect", "volumes", "--filter", ""}, []string{"dangling=", "driver=", "label=", "label!=", "name=", "until="}, nil, keyOnly, false},
		{"inspect filter keys of every kind", []string{"inspect", "--filter", "s"}, []string{"scope=", "shared=", "status="}, nil, keyOnly, false},
		{"inspect filter status", []string{"inspect", "containers", "--filter", "status=ex"}, []string{"status=exited"}, nil, noFile, false},
		{"inspect filter dangling", []string{"inspect", "images", "--filter", "dangling="}, []string{"dangling=false", "dangling=true"}, nil, noFile, false},
		{"inspect filter network type", []string{"inspect", "networks", "--filter", "type="}, []string{"type=builtin", "type=custom"}, nil, noFile, false},
		{"inspect filter name", []string{"inspect", "containers", "--filter", "name="}, []string{"name=job", "name=web-1"}, nil, noFile, true},
		{"inspect filter network of containers", []string{"inspect", "containers", "--filter", "network="}, []string{"network=bridge", "network=shop_default"}, nil, noFile, true},
		{"inspect filter ancestor", []string{"inspect", "containers", "-f", "ancestor=a"}, []string{"ancestor=app:1", "ancestor=app:latest"}, nil, noFile, true},
		{"inspect filter label value", []string{"inspect", "containers", "--filter", "label=team="}, []string{"label=team=api"}, nil, noFile, true},
		{"inspect filter key of another kind", []string{"inspect", "images", "--filter", "status="}, nil, nil, noFile, false},

		{"inspect formats", []string{"inspect", "images", "--format", ""}, []string{"table", "json"}, nil, noFile, false},
		{"prune formats", []string{"prune", "--format", ""}, []string{"table", "json", "markdown"}, nil, noFile, false},
		{"report formats", []string{"report", "--format", ""}, []string{"table", "json", "markdown", "html"}, nil, noFile, false},
		{"version formats", []string{"version", "--format", "j"}, []string{"json"}, nil, noFile, false},
		{"explain formats", []string{"explain", "--format", ""}, []string{"table", "json"}, nil, noFile, false},
		{"lang", []string{"version", "--lang", ""}, []string{"en", "zh", "both"}, nil, noFile, false},
		{"report by", []string{"report", "--by", ""}, []string{"project"}, nil, noFile, false},
		{"apply takes json files", []string{"prune", "--apply", ""}, []string{"json"}, nil, cobra.ShellCompDirectiveFilterFileExt, false},
		{"no file names for a duration", []string{"prune", "--older-than", ""}, nil, nil, noFile, false},
		{"no file names for a host", []string{"report", "-H", ""}, nil, nil, noFile, false},
		{"plan-out takes any file", []string{"prune", "--plan-out", ""}, nil, nil, cobra.ShellCompDirectiveDefault, false},

		{"explain topics word by word", []string{"explain", "docker", "volume", ""}, nil, []string{"prune"}, noFile, false},
		{"completion shells", []string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}, nil, noFile, false},
		{"commands", []string{""}, nil, []string{"completion", "inspect", "prune", "report"}, noFile, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := completeCLI(t, dialFake(namedEngine(t)), nil, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if tt.contains == nil && !slices.Equal(r.values, tt.want) {
				t.Errorf("candidates %q, want %q", r.values, tt.want)
			}
			for _, c := range tt.contains {
				if !slices.Contains(r.values, c) {
					t.Errorf("candidates %q lack %q", r.values, c)
				}
			}
			if r.directive != tt.directive {
				t.Errorf("directive %d, want %d", r.directive, tt.directive)
			}
			if !tt.engine && len(r.dialled) > 0 {
				t.Errorf("asked the engine at %s for a completion that needs none", r.dialled[0].Host)
			}
		})
	}
}

// Names say what they are, for the shells that show descriptions.
func TestCompletionDescribesKeepCandidates(t *testing.T) {
	t.Parallel()
	r := completeCLI(t, dialFake(namedEngine(t)), nil, "prune", "--keep", "")
	for _, want := range []string{"app:1\timage", "job\tcontainer", "pgdata\tvolume", "bridge\tnetwork"} {
		if !slices.Contains(r.lines, want) {
			t.Errorf("lines %q lack %q", r.lines, want)
		}
	}
}

func TestCompletionOfContexts(t *testing.T) {
	t.Parallel()
	cfg := t.TempDir()
	writeDockerContext(t, cfg, "prod", "tcp://prod.example:2376")
	writeDockerContext(t, cfg, "staging", "unix:///staging.sock")
	env := map[string]string{"DOCKER_CONFIG": cfg}
	never := func(engine.Endpoint) (Engine, error) { return nil, errors.New("dialled") }

	r := completeCLI(t, never, env, "--context", "")
	want := []string{"default\tunix:///var/run/docker.sock", "prod\ttcp://prod.example:2376", "staging\tunix:///staging.sock"}
	if !slices.Equal(r.lines, want) || r.directive != noFile {
		t.Errorf("lines %q directive %d, want %q", r.lines, r.directive, want)
	}
	// Repeatable for a fleet run: a second --context completes as the first.
	r = completeCLI(t, never, env, "inspect", "images", "--context", "prod", "--context", "s")
	if !slices.Equal(r.values, []string{"staging"}) {
		t.Errorf("second --context: %q", r.values)
	}
	if len(r.dialled) > 0 {
		t.Error("completing --context dialled the engine")
	}
}

// Completion asks the engine the command would use: -H, --context and
// DOCKER_HOST given on the command line or in the environment.
func TestCompletionAsksTheEngineTheCommandLineNames(t *testing.T) {
	t.Parallel()
	cfg := t.TempDir()
	writeDockerContext(t, cfg, "prod", "tcp://prod.example:2376")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		host string // "" when no engine may be asked
	}{
		{"-H", nil, []string{"prune", "-H", "tcp://elsewhere:2375", "--keep", ""}, "tcp://elsewhere:2375"},
		{"--host before the command", nil, []string{"--host=unix:///other.sock", "prune", "--keep", ""}, "unix:///other.sock"},
		{"--context", map[string]string{"DOCKER_CONFIG": cfg}, []string{"--context", "prod", "prune", "--keep", ""}, "tcp://prod.example:2376"},
		{"DOCKER_HOST", map[string]string{"DOCKER_HOST": "tcp://env:2375"}, []string{"prune", "--keep", ""}, "tcp://env:2375"},
		{"-H wins over DOCKER_HOST", map[string]string{"DOCKER_HOST": "tcp://env:2375"}, []string{"prune", "-H", "tcp://flag:2375", "--keep", ""}, "tcp://flag:2375"},
		{"several engines: none asked", nil, []string{"prune", "-H", "tcp://a:2375", "-H", "tcp://b:2375", "--keep", ""}, ""},
		{"every context: none asked", map[string]string{"DOCKER_CONFIG": cfg}, []string{"report", "--all-contexts", "--filter", "label="}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := completeCLI(t, dialFake(namedEngine(t)), tt.env, tt.args...)
			var hosts []string
			for _, ep := range r.dialled {
				hosts = append(hosts, ep.Host)
			}
			if tt.host == "" {
				if len(hosts) > 0 || len(r.values) > 0 {
					t.Errorf("dialled %q, candidates %q; want neither", hosts, r.values)
				}
				return
			}
			if !slices.Equal(hosts, []string{tt.host}) {
				t.Errorf("dialled %q, want %s", hosts, tt.host)
			}
			if len(r.values) == 0 {
				t.Error("no candidates")
			}
		})
	}
}

// An engine that is missing, slow, failing or misnamed gives no
// candidates, exit 0 and nothing on stdout but the directive: the shell
// reads stdout as data.
func TestCompletionWithoutAnEngineOffersNothing(t *testing.T) {
	t.Parallel()

	unreachable := func(ep engine.Endpoint) (Engine, error) {
		return nil, &engine.UnreachableError{Host: ep.Host, Err: errors.New("connection refused")}
	}
	failing := namedEngine(t)
	failing.ImageListFn = func(context.Context, image.ListOptions) ([]image.Summary, error) {
		return nil, errors.New("Error response from daemon: boom")
	}
	hanging := namedEngine(t)
	hanging.ContainerListFn = func(ctx context.Context, _ container.ListOptions) ([]container.Summary, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	tests := []struct {
		name string
		dial func(engine.Endpoint) (Engine, error)
		env  map[string]string
		args []string
	}{
		{"unreachable", unreachable, nil, []string{"prune", "--keep", ""}},
		{"one list fails", dialFake(failing), nil, []string{"prune", "--keep", ""}},
		{"engine hangs", dialFake(hanging), nil, []string{"prune", "--keep-label", ""}},
		{"bad -H", dialFake(namedEngine(t)), nil, []string{"prune", "-H", "ftp://x", "--keep", ""}},
		{"-H with --context", dialFake(namedEngine(t)), nil, []string{"-H", "tcp://a:1", "--context", "x", "prune", "--keep", ""}},
		{"unknown context", dialFake(namedEngine(t)), map[string]string{"DOCKER_CONTEXT": "nosuch"}, []string{"inspect", "containers", "-f", "name="}},
		{"bad DOCKER_HOST", dialFake(namedEngine(t)), map[string]string{"DOCKER_HOST": "ftp://x"}, []string{"report", "-f", "label="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := completeWithin(t, 50*time.Millisecond, tt.dial, tt.env, tt.args...)
			if r.code != 0 || r.stdout != ":4\n" || r.directive != noFile {
				t.Errorf("exit %d, stdout %q; want 0 and only the directive :4", r.code, r.stdout)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// Writing the script needs no engine: a broken DOCKER_HOST or context
// must not stop it, nor may it dial.
func TestCompletionScriptNeedsNoEngine(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DOCKER_HOST": "ftp://broken", "DOCKER_CONTEXT": "nosuch", "DOCKER_API_VERSION": "bad"}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			var out, errOut bytes.Buffer
			f := NewFactory(strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
			f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) {
				t.Error("dialled the engine")
				return nil, errors.New("dialled")
			}
			code := Run(context.Background(), f, []string{"completion", shell, "-H", "also-broken://x"})
			if code != 0 || errOut.Len() > 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut.String())
			}
			if !strings.Contains(out.String(), "dockctl") || !strings.Contains(out.String(), cobra.ShellCompRequestCmd) {
				t.Errorf("not a completion script for dockctl:\n%.300s", out.String())
			}
		})
	}
	code, out, _ := explainCLI(t, env, "completion", "--help")
	for _, want := range []string{"bash", "zsh", "fish", "powershell", "source <(dockctl completion bash)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion --help (exit %d) lacks %q", code, want)
		}
	}
}

// The --format candidates are exactly what each command accepts by name
// (inspect also takes templates, so there only: each is accepted), and
// every command with --format has them.
func TestCompletionFormatsMatchTheCommands(t *testing.T) {
	t.Parallel()
	root := NewRootCmd(NewFactory(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }))
	var paths []string
	formatsOf := map[string][]string{}
	synonymsOf := map[string]map[string]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if fl := c.Flags().Lookup("format"); fl != nil {
			paths = append(paths, commandPath(c))
			formatsOf[commandPath(c)] = enumOptions(fl)
			if v, ok := fl.Value.(*enumValue); ok {
				synonymsOf[commandPath(c)] = v.synonyms
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	unreachable := func(engine.Endpoint) (Engine, error) { return nil, errors.New("no engine in this test") }
	for _, path := range paths {
		formats := formatsOf[path]
		if len(formats) == 0 {
			t.Errorf("%s has --format but it is not an enum: completion has nothing to offer", path)
			continue
		}
		args := strings.Fields(path)
		switch path {
		case "inspect":
			args = append(args, "images")
		case "prune":
			args = append(args, "--dry-run")
		}
		for _, v := range []string{"table", "json", "markdown", "html", "text", "yaml"} {
			var out, errOut bytes.Buffer
			f := NewFactory(strings.NewReader(""), &out, &errOut, func(string) string { return "" })
			f.Dial = func(ep engine.Endpoint, _ engine.Env, _ time.Duration) (Engine, error) { return unreachable(ep) }
			accepted := Run(context.Background(), f, append(args, "--format", v)) != 2
			// An old name (explain's text) is taken, not offered.
			_, synonym := synonymsOf[path][v]
			listed := slices.Contains(formats, v) || synonym
			if listed && !accepted || !listed && accepted && path != "inspect" {
				t.Errorf("%s --format %s: accepted %v, completed %v", path, v, accepted, listed)
			}
		}
	}
	// The validators themselves, for the record.
	for _, v := range formatsOf["inspect"] {
		if err := render.ValidateInspectFormat(v, inspect.KindImages); err != nil {
			t.Errorf("inspect --format %s: %v", v, err)
		}
	}
}

// Filter keys and values that completion offers without the engine are
// ones the parsers accept.
func TestCompletionFilterValuesParse(t *testing.T) {
	t.Parallel()
	now := time.Now()
	check := func(kind inspect.Kind, key string, values []string) {
		for _, v := range values {
			if _, err := inspect.ParseFilters(kind, []string{key + "=" + v}, now); err != nil {
				t.Errorf("%s --filter %s=%s: %v", kind, key, v, err)
			}
		}
	}
	check(inspect.KindContainers, "status", containerStates)
	check(inspect.KindImages, "dangling", boolValues)
	check(inspect.KindBuildCache, "inuse", boolValues)
	check(inspect.KindNetworks, "type", networkTypes)
	check(inspect.KindNetworks, "scope", networkScopes)
	check(inspect.KindBuildCache, "type", buildCacheTypes)
	sample := map[string]string{"label": "a", "label!": "a", "until": "24h", "id": "3f2a"}
	for _, k := range scopeFilterKeys {
		if _, _, err := parseScopeFilters("prune", []string{k + "=" + sample[k]}, now); err != nil {
			t.Errorf("prune --filter %s: %v", k, err)
		}
	}
	if _, _, err := parseScopeFilters("prune", []string{"name=x"}, now); err == nil {
		t.Error("parseScopeFilters accepts name=: scopeFilterKeys is out of date")
	}
}
