package cmd

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/engine"
)

// readmeCommand finds a dockctl command line in a code block: at the start
// of the line, after a YAML list dash, a cron schedule or "<(".
var readmeCommand = regexp.MustCompile(`(?:^\s*(?:-\s+)?|^[0-9*/, -]+\s|<\()dockctl\s`)

// readmeCommands returns the dockctl command lines of README.md's code
// blocks, continuation lines joined, cut before pipes, redirections,
// comments and "&&".
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inBlock := false
	pending := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock = !inBlock
			continue
		}
		if !inBlock {
			continue
		}
		if pending != "" {
			line = pending + " " + strings.TrimSpace(line)
			pending = ""
		}
		if strings.HasSuffix(line, `\`) {
			pending = strings.TrimSuffix(line, `\`)
			continue
		}
		loc := readmeCommand.FindStringIndex(line)
		if loc == nil {
			continue
		}
		cmd := line[loc[1]-len("dockctl "):]
		cut := len(cmd)
		for _, stop := range []string{" |", " >", " #", " &&", ")"} {
			if i := strings.Index(cmd, stop); i >= 0 && i < cut {
				cut = i
			}
		}
		out = append(out, strings.TrimSpace(cmd[:cut]))
	}
	return out
}

// shellWords splits a command line as sh does for the simple quoting the
// README uses.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// Every dockctl command line in README.md is one dockctl accepts: run in
// order against a fake engine (files go to a temporary folder, --every is
// stopped after its first round), none is a usage error.
func TestReadmeCommandsParse(t *testing.T) {
	t.Parallel()
	cmds := readmeCommands(t)
	if len(cmds) < 20 {
		t.Fatalf("found only %d dockctl command lines in README.md: %q", len(cmds), cmds)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "docker-config")
	writeDockerContext(t, cfg, "ci-2", "tcp://ci-2:2376")
	pathFlags := map[string]bool{"-o": true, "--output": true, "--plan-out": true, "--apply": true, "--log": true}
	for _, line := range cmds {
		t.Run(line, func(t *testing.T) {
			args := shellWords(line)[1:]
			for i := 0; i+1 < len(args); i++ {
				if pathFlags[args[i]] {
					args[i+1] = filepath.Join(dir, filepath.Base(args[i+1]))
				}
			}
			f, _, errOut := testFactory(t, map[string]string{"DOCKER_CONFIG": cfg})
			f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return fakeEngine(), nil }
			// A scheduled run ends only when asked: stop it after its first round.
			wait := 10 * time.Second
			if strings.Contains(line, "--every") {
				wait = 300 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			code := Run(ctx, f, args)
			if code == 2 || strings.Contains(errOut.String(), "unknown") {
				t.Errorf("exit %d: %s", code, errOut)
			}
			if code != 0 && code != 3 && code != 4 {
				t.Logf("exit %d (an engine outcome on the fake, not a usage error): %s", code, errOut)
			}
		})
	}
}
