package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/engine"
)

// explainCLI runs dockctl in-process with env and returns the exit code,
// stdout and stderr. The engine must never be dialled.
func explainCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := NewFactory(strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) {
		t.Errorf("dockctl %s dialled the engine", strings.Join(args, " "))
		return nil, os.ErrInvalid
	}
	code := Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// The golden files belong to package explain (go test ./explain/ -update
// rewrites them); the command must print exactly them.
func TestExplainGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		golden string
		env    map[string]string
		args   []string
	}{
		{"all_both", nil, []string{"explain", "--lang", "both"}},
		{"all_en", nil, []string{"explain"}},
		{"all_zh", map[string]string{"LANG": "zh_CN.UTF-8"}, []string{"explain"}},
		{"prune_both", nil, []string{"explain", "prune", "--lang=both"}},
		{"prune_images_en", map[string]string{"LANG": "en_US.UTF-8"}, []string{"explain", "prune", "images"}},
		{"prune_images_en", nil, []string{"explain", "prune images"}},
		{"inspect_zh", map[string]string{"LC_ALL": "zh_CN.UTF-8"}, []string{"explain", "inspect"}},
		{"docker_volume_prune_both", nil, []string{"--lang", "both", "explain", "docker volume prune"}},
		{"docker_volume_prune_both", nil, []string{"explain", "--lang", "both", "docker", "volume", "prune"}},
		{"404_both", map[string]string{"LANG": "zh_CN.UTF-8"}, []string{"explain", "404", "--lang", "both"}},
		{"prune_json", map[string]string{"LANG": "zh_CN.UTF-8"}, []string{"explain", "prune", "--format", "json"}},
		{"docker_rmi_json", nil, []string{"explain", "--format=json", "docker rmi"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("..", "render", "testdata", "explain_"+tt.golden+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			code, out, errOut := explainCLI(t, tt.env, tt.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if out != string(want) {
				t.Errorf("stdout differs from explain_%s.golden:\n%s", tt.golden, out)
			}
		})
	}
}

func TestExplainJSON(t *testing.T) {
	t.Parallel()
	code, out, _ := explainCLI(t, nil, "explain", "prune", "volumes", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Schema  string `json:"schema"`
		Topic   string `json:"topic"`
		Entries []struct {
			Command, ZH, EN, Source string
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "dockctl.explain/v1" || doc.Topic != "prune volumes" || len(doc.Entries) != 2 ||
		doc.Entries[0].Command != "docker volume prune [OPTIONS]" || doc.Entries[1].ZH != "移除卷" || doc.Entries[1].Source != "document" {
		t.Errorf("JSON = %s", out)
	}
}

// explain takes --format table|json like every other command (issue 14
// item 14); text, its old name for table, still works.
func TestExplainFormatTable(t *testing.T) {
	t.Parallel()
	_, want, _ := explainCLI(t, nil, "explain", "prune")
	for _, format := range []string{"table", "text"} {
		code, out, errOut := explainCLI(t, nil, "explain", "prune", "--format", format)
		if code != 0 || out != want || want == "" {
			t.Errorf("--format %s: exit %d, stderr %q, output differs from the default:\n%s", format, code, errOut, out)
		}
	}
}

func TestExplainUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		stderr string
	}{
		{"unknown topic", nil, []string{"explain", "prun"},
			`dockctl: invalid topic "prun": unknown topic; did you mean "prune", "docker system prune", "docker image prune"?` + "\n"},
		{"unknown topic json", nil, []string{"explain", "xyzzy", "--format", "json"},
			`dockctl: invalid topic "xyzzy": unknown topic; run "dockctl explain" to list every topic` + "\n"},
		{"bad format", nil, []string{"explain", "prune", "--format", "yaml"},
			`dockctl: invalid --format "yaml": must be table or json` + "\n"},
		{"bad lang", nil, []string{"explain", "--lang", "fr"},
			`dockctl: invalid --lang "fr": must be en, zh or both` + "\n"},
		{"unknown flag", nil, []string{"explain", "--verbose"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := explainCLI(t, tt.env, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if tt.stderr != "" && errOut != tt.stderr {
				t.Errorf("stderr\n got %q\nwant %q", errOut, tt.stderr)
			}
			if tt.stderr == "" && !strings.HasPrefix(errOut, "dockctl: ") {
				t.Errorf("stderr %q", errOut)
			}
		})
	}
}

// explain is offline help: engine settings, even broken ones, do not matter.
func TestExplainIgnoresEngineSettings(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{"DOCKER_HOST": "tcp://127.0.0.1:1"},
		{"DOCKER_HOST": "nonsense://"},
		{"DOCKER_CONTEXT": "does-not-exist", "DOCKER_CONFIG": t.TempDir()},
	} {
		code, out, errOut := explainCLI(t, env, "explain", "report")
		if code != 0 || !strings.HasPrefix(out, "dockctl report:\n") {
			t.Errorf("env %v: exit %d, stdout %q, stderr %q", env, code, out, errOut)
		}
	}
}

func TestStatusNote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang   string
		status int
		want   string
	}{
		{"both", 404, "服务器找不到请求的网页或资源。 (the server cannot find the requested page or resource)"},
		{"zh", 404, "服务器找不到请求的网页或资源。"},
		{"en", 404, "the server cannot find the requested page or resource"},
		{"en", 409, "conflict: the object is in use or already exists"},
		{"en", 418, ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.want, func(t *testing.T) {
			f := NewFactory(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
			f.LangFlag = tt.lang
			if got := f.statusNote(tt.status); got != tt.want {
				t.Errorf("statusNote(%d) = %q, want %q", tt.status, got, tt.want)
			}
		})
	}
	// The note follows the locale when --lang is absent, and reaches the
	// error line unless --no-explain.
	f := NewFactory(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(k string) string {
		return map[string]string{"LANG": "zh_CN.UTF-8"}[k]
	})
	err := &engine.APIError{Status: 404, Message: "No such image: foo"}
	if got := f.describeError(err); !strings.HasSuffix(got, " — 服务器找不到请求的网页或资源。") {
		t.Errorf("describeError = %q, want the zh note", got)
	}
	f.NoExplain = true
	if got := f.describeError(err); strings.Contains(got, "服务器") {
		t.Errorf("describeError with --no-explain = %q", got)
	}
}
