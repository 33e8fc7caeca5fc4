package cmd

import (
	"strings"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/render"
)

// TestUsageErrorsReadable: what a new user mistypes is one readable line
// on stderr, exit 2, nothing on stdout (issue 14 item 12): cobra's
// suggestions on the same line, a shell without a completion script, and a
// --format word that is neither a format nor a template.
func TestUsageErrorsReadable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string // the whole stderr
	}{
		{[]string{"repot"}, `dockctl: unknown command "repot" for "dockctl" (did you mean report?)` + "\n"},
		{[]string{"prun", "--dry-run"}, `dockctl: unknown command "prun" for "dockctl" (did you mean prune?)` + "\n"},
		{[]string{"zzz"}, `dockctl: unknown command "zzz" for "dockctl"` + "\n"},
		{[]string{"completion", "tcsh"}, `dockctl: invalid shell "tcsh": no completion script for it: use bash, fish, powershell, zsh` + "\n"},
		{[]string{"inspect", "images", "--format", "yaml"}, `dockctl: invalid --format "yaml": must be table, json or a Go template such as '{{.ID}}' or 'table {{.ID}}\t{{.SizeBytes}}'` + "\n"},
		{[]string{"inspect", "volumes", "--format", "wide"}, `dockctl: invalid --format "wide": must be table, json or a Go template such as '{{.ID}}' or 'table {{.ID}}\t{{.SizeBytes}}'` + "\n"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runFake(t, fakeEngine(), tt.args...)
			if code != 2 || out != "" || errOut != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, stderr %q", code, out, errOut, tt.want)
			}
		})
	}
	// What is right still works.
	for _, args := range [][]string{
		{"completion", "bash"},
		{"completion"},
		{"inspect", "images", "--format", "{{.ID}}"},
		{"inspect", "images", "--format", "table {{.ID}}"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			if code, _, errOut := runFake(t, fakeEngine(), args...); code != 0 {
				t.Errorf("exit %d, stderr %q; want 0", code, errOut)
			}
		})
	}
}

// TestReportTopImpliesVerbose checks item 5 of issue 14: --top alone
// lists the largest objects rather than being silently ignored.
func TestReportTopImpliesVerbose(t *testing.T) {
	t.Parallel()
	code, out, errOut := runFake(t, fakeEngine(), "report", "--no-cache", "--top", "1", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"images": [`) {
		t.Errorf("report --top 1 lists no images:\n%s", out)
	}
}

// TestReportOptionsFitTerminal checks item 8 of issue 14: a table report
// on a terminal is fitted to its width; a file, another format, or
// --no-trunc is not.
func TestReportOptionsFitTerminal(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		opts     ReportOptions
		width    int
		wholeIDs bool
	}{
		{"terminal", ReportOptions{Format: "table"}, 100, false},
		{"no-trunc", ReportOptions{Format: "table", NoTrunc: true}, 0, true},
		{"file", ReportOptions{Format: "table", Output: "r.txt"}, 0, false},
		{"markdown", ReportOptions{Format: "markdown"}, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.RunEnv = RunEnv{IO: IOStreams{OutIsTTY: true, OutWidth: 100}, Now: time.Now,
				Explained: func(string) (render.Explained, error) { return render.Explained{}, nil }}
			ro, err := reportOptions(&o)
			if err != nil {
				t.Fatal(err)
			}
			if ro.Width != tt.width || ro.NoTrunc != tt.wholeIDs {
				t.Errorf("width %d, no-trunc %v; want %d, %v", ro.Width, ro.NoTrunc, tt.width, tt.wholeIDs)
			}
		})
	}
}

// TestTableWidth: report and inspect tables are fitted only when they go
// to a terminal and --no-trunc is not given (issue 14 item 8).
func TestTableWidth(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		tty            bool
		format, output string
		noTrunc        bool
		want           int
	}{
		{"terminal", true, "table", "", false, 90},
		{"pipe", false, "table", "", false, 0},
		{"file", true, "table", "r.txt", false, 0},
		{"json", true, "json", "", false, 0},
		{"template", true, "{{.Name}}", "", false, 0},
		{"no-trunc", true, "table", "", true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := RunEnv{IO: IOStreams{OutIsTTY: tt.tty, OutWidth: 90}}
			if got := e.tableWidth(tt.format, tt.output, tt.noTrunc); got != tt.want {
				t.Errorf("width %d, want %d", got, tt.want)
			}
		})
	}
}
