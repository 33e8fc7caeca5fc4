package cmd

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandArgs are the arguments a command needs besides the flag under
// test to get past cobra's argument checks; prune gets --yes so that the
// refusal to delete without it cannot hide a flag that was let through.
var commandArgs = map[string][]string{
	"inspect": {"images"},
	"prune":   {"--yes"},
}

// everyValueFlag lists, for every command of the tree, each flag that takes
// a value (not a boolean or a count), its own and the inherited ones.
func everyValueFlag(t *testing.T) map[string][]*pflag.Flag {
	t.Helper()
	f, _, _ := testFactory(t, nil)
	root := NewRootCmd(f)
	// cobra adds these on Execute; a flag of theirs counts too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	out := map[string][]*pflag.Flag{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.DisableFlagParsing {
			return
		}
		path := commandPath(c)
		visit := func(fl *pflag.Flag) {
			if fl.NoOptDefVal != "" || fl.Name == "help" {
				return // bool and count flags take no value
			}
			out[path] = append(out[path], fl)
		}
		c.LocalFlags().VisitAll(visit)
		c.InheritedFlags().VisitAll(visit)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// No flag that takes a value accepts an empty or blank one: an unset shell
// variable (--older-than "$AGE") must not turn a guard or a gate off. Every
// command, every such flag: exit 2, one line naming the flag, nothing on
// stdout, nothing asked of the engine that changes it.
func TestNoFlagTakesAnEmptyValue(t *testing.T) {
	t.Parallel()
	flags := everyValueFlag(t)
	n := 0
	for path, list := range flags {
		for _, fl := range list {
			for _, v := range []string{"", "  "} {
				n++
				var args []string
				if path != "" {
					args = strings.Fields(path)
				}
				args = append(args, commandArgs[path]...)
				args = append(args, "--"+fl.Name, v)
				t.Run(strings.Join(args, " ")+"''", func(t *testing.T) {
					e := fakeEngine()
					code, out, errOut := runFake(t, e, args...)
					line := strings.TrimSpace(errOut)
					if code != 2 || out != "" || strings.Contains(line, "\n") || !strings.Contains(line, "--"+fl.Name) || e.Mutations() != 0 {
						t.Fatalf("%q: exit %d (want 2), %d mutations, stdout %q, stderr %q (want one line naming --%s)", args, code, e.Mutations(), out, errOut, fl.Name)
					}
				})
			}
		}
	}
	// The walk must reach the flags this test is about.
	for _, want := range []string{"prune --older-than", "prune --target-usage", "prune --high-watermark", "report --fail-if-usage-over", "inspect --filter", "explain --format", " --host"} {
		found := false
		for path, list := range flags {
			for _, fl := range list {
				if strings.TrimSpace(path+" --"+fl.Name) == strings.TrimSpace(want) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("the walk missed %s", want)
		}
	}
	t.Logf("%d command lines", n)
}

// A size flag refuses a number without a unit: --target-usage 20 meant 20
// bytes, which plans to remove every unused image.
func TestSizeFlagsNeedAUnit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"prune", "--yes", "--all", "--target-usage", "20"}, `invalid --target-usage "20": a size needs a unit, e.g. 20GB or 20B`},
		{[]string{"prune", "--yes", "--all", "--target-usage", "1.5"}, `invalid --target-usage "1.5": a size needs a unit, e.g. 1.5GB or 1.5B`},
		{[]string{"report", "--fail-if-usage-over", "20"}, `invalid --fail-if-usage-over "20": a size needs a unit, e.g. 20GB or 20B`},
		{[]string{"report", "--fail-if-reclaimable-over", " 500 "}, `invalid --fail-if-reclaimable-over " 500 ": a size needs a unit, e.g. 500GB or 500B`},
		{[]string{"prune", "--yes", "--all", "--target-usage", "0B"}, `invalid --target-usage "0B": must be more than 0`},
		{[]string{"prune", "--yes", "--all", "--target-usage", "lots"}, `invalid --target-usage "lots"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			if code != 2 || out != "" || e.Mutations() != 0 || e.Calls("DiskUsage") != 0 || !strings.HasPrefix(errOut, "dockctl: "+tt.want) {
				t.Fatalf("exit %d, %d mutations, %d df calls, stdout %q, stderr %q; want exit 2 and %q", code, e.Mutations(), e.Calls("DiskUsage"), out, errOut, tt.want)
			}
		})
	}
	// With a unit, the same values are accepted.
	for _, args := range [][]string{
		{"prune", "--dry-run", "--no-cache", "--all", "--target-usage", "20B"},
		{"report", "--no-cache", "--fail-if-usage-over", "20GB"},
		{"report", "--no-cache", "--fail-if-reclaimable-over", "1.5 GiB"},
	} {
		if code, _, errOut := runFake(t, fakeEngine(), args...); code != 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// A file flag refuses a value that looks like a flag: pflag takes
// `-o --no-explain` as a file named --no-explain, and the user meant a
// flag (issue 14 item 12). ./-x still names such a file.
func TestFileFlagsRefuseAFlag(t *testing.T) {
	// Not parallel: a value let through is a file written in the working
	// directory, which must be a scratch one.
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"report", "-o", "--no-explain"}, `invalid --output "--no-explain": looks like a flag, not a file name (write ./--no-explain for a file named so)`},
		{[]string{"report", "--output=-v"}, `invalid --output "-v": looks like a flag`},
		{[]string{"prune", "--dry-run", "--plan-out", "--all"}, `invalid --plan-out "--all": looks like a flag`},
		{[]string{"prune", "--yes", "--log", "-f"}, `invalid --log "-f": looks like a flag`},
		{[]string{"prune", "--yes", "--apply", "--dry-run"}, `invalid --apply "--dry-run": looks like a flag`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			if code != 2 || out != "" || e.Mutations() != 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "dockctl: "+tt.want) {
				t.Fatalf("exit %d, %d mutations, stdout %q, stderr %q; want exit 2 and %q", code, e.Mutations(), out, errOut, tt.want)
			}
		})
	}
	// A path that starts otherwise is a file.
	if code, _, errOut := runFake(t, fakeEngine(), "report", "--no-cache", "-o", "./-report.txt"); code != 0 {
		t.Errorf("a path with a dash inside: exit %d, stderr %q", code, errOut)
	}
}
