package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker/docker/api/types"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
	"github.com/dockctl/dockctl/internal/version"
)

// TestVersionWithoutAnEngine: dockctl's own version needs no engine
// (issue 14 item 11). `version` shows the client and says why the engine
// part is missing (exit 0); only a --format that names an engine field
// fails (exit 1); `--version` never asks the engine.
func TestVersionWithoutAnEngine(t *testing.T) {
	t.Parallel()
	const host = "tcp://127.0.0.1:1"
	asked := 0
	down := &fake.Engine{ServerVersionFn: func(context.Context) (types.Version, error) {
		asked++
		return types.Version{}, &engine.UnreachableError{Host: host}
	}}
	self := version.Self()
	unreachable := "cannot reach the Docker engine at " + host
	for _, tt := range []struct {
		args     []string
		wantCode int
		wantOut  []string // substrings of stdout, in order
		wantErr  string   // substring of stderr ("" for none)
		asks     int      // engine requests
	}{
		{[]string{"--version"}, 0, []string{"dockctl version " + self.Version + " (" + self.GoVersion + " "}, "", 0},
		{[]string{"-H", host, "--version"}, 0, []string{"dockctl version " + self.Version}, "", 0},
		{[]string{"-H", host, "version"}, 0, []string{"Client: dockctl", " Version:", self.Version, "Engine:", " Host:  " + host, " Error: " + unreachable}, "", 1},
		{[]string{"-H", host, "version", "--format", "json"}, 0, []string{`"version": "` + self.Version + `"`, `"error": "` + unreachable}, "", 1},
		{[]string{"-H", host, "version", "--format", "{{.Client.Version}}"}, 0, []string{self.Version + "\n"}, "", 1},
		{[]string{"-H", host, "version", "--format", "{{json .}}"}, 0, []string{`"error":"` + unreachable}, "", 1},
		{[]string{"-H", host, "version", "--format", "{{.Engine.Version}}"}, 1, nil, unreachable, 1},
		{[]string{"-H", host, "version", "--format", "{{if .Client.Version}}{{$.NegotiatedAPIVersion}}{{end}}"}, 1, nil, unreachable, 1},
		{[]string{"version", "--format", "yaml"}, 2, nil, `invalid --format "yaml"`, 0},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			asked = 0
			code, out, errOut := runFake(t, down, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			rest := out
			for _, w := range tt.wantOut {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("stdout lacks %q (in order):\n%s", w, out)
					break
				}
				rest = rest[i+len(w):]
			}
			if tt.wantOut == nil && out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if (tt.wantErr == "") != (errOut == "") || !strings.Contains(errOut, tt.wantErr) || strings.Count(errOut, "\n") > 1 {
				t.Errorf("stderr %q, want one line with %q", errOut, tt.wantErr)
			}
			if asked != tt.asks {
				t.Errorf("asked the engine %d times, want %d", asked, tt.asks)
			}
			if strings.Contains(strings.Join(tt.args, " "), "json") && tt.wantCode == 0 {
				var doc map[string]any
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Errorf("not JSON: %v", err)
				}
			}
		})
	}
}
