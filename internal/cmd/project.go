package cmd

import (
	"errors"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dockctl/dockctl/internal/inspect"
)

// composeProjectName is what docker compose takes as a project name.
var composeProjectName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// projectFlag makes --project NAME of p: a compose project name, checked
// as compose checks it, so that a typo in case or a stray character is an
// error, not a scope that matches nothing.
func projectFlag(p *string) pflag.Value {
	return stringValue{p: p, check: func(in string) error {
		if !composeProjectName.MatchString(in) {
			return errors.New("a compose project name is lowercase letters, digits, - and _, starting with a letter or digit")
		}
		return nil
	}}
}

// withProject adds --project's label filter to --filter's values (a new
// slice: the options' own is shared by fleet and --every copies).
func withProject(filters []string, project string) []string {
	if project == "" {
		return filters
	}
	return append(append([]string{}, filters...), "label="+inspect.ComposeProjectLabel+"="+strings.TrimSpace(project))
}

// projectHelp is --project's help, the same for report and prune.
const projectHelp = "only the objects of this compose project (label " + inspect.ComposeProjectLabel + "=NAME; composes with --filter); build cache has no labels and drops out"

// completeProject offers the compose projects the engine's containers,
// volumes and networks are labelled with.
func (f *Factory) completeProject(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	prefix := inspect.ComposeProjectLabel + "="
	objs := f.engineObjects(c, []inspect.Kind{inspect.KindContainers, inspect.KindVolumes, inspect.KindNetworks})
	var out []cobra.Completion
	for _, l := range labelCompletions(objs, "", prefix+toComplete) {
		out = append(out, strings.TrimPrefix(l, prefix))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
