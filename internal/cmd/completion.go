package cmd

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
)

const completionShort = "Generate the shell completion script for bash, zsh, fish or powershell"

const completionLong = `Generate the shell completion script for bash, zsh, fish or powershell.

Besides commands and flags, dockctl completes from the engine: image
references, container, volume and network names for --keep, label keys for
--keep-label and --filter label=, object names for --filter name= and the
like; and docker context names for --context. Those look-ups only read, ask
the engine that -H/--host or --context on the same command line names, and
offer nothing (silently) when it does not answer within 2s. Writing the
script itself never contacts the engine.

To load completions in the current shell (bash needs the bash-completion
package):

	source <(dockctl completion bash)
	source <(dockctl completion zsh)
	dockctl completion fish | source

See each shell's subcommand for loading them in every new session.`

// scopeFilterKeys are the --filter keys of report and prune (see
// parseScopeFilters).
var scopeFilterKeys = []string{"label", "label!", "until", "id"}

// Values of filter keys that do not come from the engine; a test holds
// them to inspect.ParseFilters.
var (
	boolValues      = []string{"true", "false"}
	containerStates = []string{"created", "restarting", "running", "removing", "paused", "exited", "dead"}
	networkScopes   = []string{"local", "global", "swarm"}
	networkTypes    = []string{"custom", "builtin"}
	buildCacheTypes = []string{"regular", "source.local", "source.git.checkout", "exec.cachemount", "frontend", "internal"}
)

// nameKinds are the kinds whose objects have names and labels, in the
// listing order.
var nameKinds = slices.DeleteFunc(slices.Clone(inspect.ListingOrder), func(k inspect.Kind) bool { return !k.Named() })

// fileFlags take a path: the shell's own file completion is right for them.
var fileFlags = map[string]bool{"plan-out": true, "log": true, "output": true}

// registerCompletions attaches completion to the built tree by command path
// and flag name, so command files need not know about it. It adds cobra's
// `completion` command now rather than at Execute, so that the generated
// docs show it too.
func registerCompletions(root *cobra.Command, f *Factory) {
	root.InitDefaultCompletionCmd()
	seen := map[*pflag.Flag]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch commandPath(c) {
		case "completion":
			c.Short, c.Long = completionShort, completionLong
			c.Args = completionShells
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		case "inspect":
			takeValidArgs(c)
			c.ValidArgsFunction = f.completeInspectArg
		case "prune":
			c.ValidArgsFunction = completeKinds(takeValidArgs(c), true)
		case "report", "version":
			c.ValidArgsFunction = cobra.NoFileCompletions
		case "explain":
			c.ValidArgsFunction = completeExplainTopic
		}
		for _, fs := range []*pflag.FlagSet{c.PersistentFlags(), c.Flags()} {
			fs.VisitAll(func(fl *pflag.Flag) {
				if seen[fl] {
					return
				}
				seen[fl] = true
				if fn := f.flagCompletion(fl); fn != nil {
					if _, done := c.GetFlagCompletionFunc(fl.Name); !done {
						_ = c.RegisterFlagCompletionFunc(fl.Name, fn)
					}
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completionShells refuses a shell dockctl has no script for (exit 2),
// where cobra would print the help and exit 0.
func completionShells(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var shells []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			shells = append(shells, sub.Name())
		}
	}
	return clierr.Usage("shell", args[0], "no completion script for it: use %s", strings.Join(shells, ", "))
}

// takeValidArgs returns c's ValidArgs and clears them: cobra consults
// ValidArgsFunction only when ValidArgs is empty, and with ValidArgs it
// falls back to file names after the first argument.
func takeValidArgs(c *cobra.Command) []string {
	v := c.ValidArgs
	c.ValidArgs = nil
	return v
}

// commandPath is c's path below the root: "prune", "completion bash".
func commandPath(c *cobra.Command) string {
	p := c.CommandPath()
	if r := c.Root(); r != c {
		return strings.TrimPrefix(p, r.Name()+" ")
	}
	return ""
}

// flagCompletion picks the completion of a flag by its name; nil leaves
// cobra's default (file names) or, for booleans, nothing to complete.
func (f *Factory) flagCompletion(fl *pflag.Flag) cobra.CompletionFunc {
	switch fl.Name {
	case "keep":
		return f.completeKeep
	case "keep-label":
		return f.completeKeepLabel
	case "project":
		return f.completeProject
	case "filter":
		return f.completeFilter
	case "format":
		return completeFormat
	case "context":
		return f.completeContext
	case "lang":
		return cobra.FixedCompletions([]cobra.Completion{
			cobra.CompletionWithDesc("en", "English"),
			cobra.CompletionWithDesc("zh", "中文 (Chinese)"),
			cobra.CompletionWithDesc("both", "English and 中文"),
		}, cobra.ShellCompDirectiveNoFileComp)
	case "by":
		return cobra.FixedCompletions([]cobra.Completion{cobra.CompletionWithDesc("project", "compose project")}, cobra.ShellCompDirectiveNoFileComp)
	case "apply":
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"json"}, cobra.ShellCompDirectiveFilterFileExt
		}
	}
	if fileFlags[fl.Name] || fl.NoOptDefVal != "" || fl.Value.Type() == "bool" {
		return nil
	}
	// Numbers, sizes, durations, addresses: nothing to offer, and file
	// names would be wrong.
	return cobra.NoFileCompletions
}

// completeKinds completes kinds from valid: one (inspect) or each not given
// yet (prune, which takes no kinds with --apply).
func completeKinds(valid []string, many bool) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if !many && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if fl := c.Flags().Lookup("apply"); many && fl != nil && fl.Changed {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		given := map[inspect.Kind]bool{}
		for _, a := range args {
			if k, err := parseKind(a); err == nil {
				given[k] = true
			}
		}
		var out []cobra.Completion
		for _, v := range valid {
			if k, err := parseKind(v); err == nil && given[k] {
				continue
			}
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeExplainTopic completes explain's topics word by word, since a
// topic may be given as separate words ("docker volume prune").
func completeExplainTopic(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	seen := map[string]bool{}
	var out []cobra.Completion
	for _, t := range explain.Topics() {
		words := strings.Fields(strings.ToLower(t))
		if len(words) <= len(args) {
			continue
		}
		match := true
		for i, a := range args {
			if !strings.EqualFold(words[i], a) {
				match = false
				break
			}
		}
		if w := words[len(args)]; match && !seen[w] && strings.HasPrefix(w, strings.ToLower(toComplete)) {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

func completeFormat(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return withPrefix(enumOptions(c.Flags().Lookup("format")), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeContext offers the docker contexts, each described by the
// engine address it names. It reads files only.
func (f *Factory) completeContext(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	names, err := engine.ContextNames(f.Env)
	if err != nil {
		cobra.CompDebugln("dockctl: "+err.Error(), false)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, name := range names {
		if !strings.HasPrefix(name, toComplete) {
			continue
		}
		// A context that does not resolve is still offered: naming it
		// is how the user gets to see what is wrong with it.
		var desc string
		if ep, err := engine.Resolve(engine.Options{Context: name}, f.Env); err == nil {
			desc = ep.Host
		}
		out = append(out, cobra.CompletionWithDesc(name, desc))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeKeep offers what --keep matches: image references and
// container, volume and network names, of the kinds given to prune.
func (f *Factory) completeKeep(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	objs := f.engineObjects(c, pruneNameKinds(args))
	seen := map[string]bool{}
	var out []cobra.Completion
	for _, o := range objs {
		if o.name == "" || seen[o.name] || !strings.HasPrefix(o.name, toComplete) {
			continue
		}
		seen[o.name] = true
		out = append(out, cobra.CompletionWithDesc(o.name, o.kind.Singular()))
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeKeepLabel offers the label keys (KEY=VALUE once a '=' is typed)
// of the objects of the kinds given to prune.
func (f *Factory) completeKeepLabel(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return labelCompletions(f.engineObjects(c, pruneNameKinds(args)), "", toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeFilter offers the filter keys the command accepts as "key=",
// without a space after, then the values of the key typed.
func (f *Factory) completeFilter(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var kinds []inspect.Kind
	var keys []string
	switch commandPath(c) {
	case "inspect":
		kinds = inspect.ListingOrder
		if len(args) > 0 {
			if k, err := parseKind(args[0]); err == nil {
				kinds = []inspect.Kind{k}
			}
		}
		for _, k := range kinds {
			for _, key := range k.FilterKeys() {
				if !slices.Contains(keys, key) {
					keys = append(keys, key)
				}
			}
		}
		sort.Strings(keys)
	case "prune":
		kinds, keys = pruneNameKinds(args), scopeFilterKeys
	default:
		kinds, keys = nameKinds, scopeFilterKeys
	}
	key, val, typedKey := strings.Cut(toComplete, "=")
	if !typedKey {
		var out []cobra.Completion
		for _, k := range keys {
			if strings.HasPrefix(k, toComplete) {
				out = append(out, k+"=")
			}
		}
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
	key = strings.ToLower(key)
	if !slices.Contains(keys, key) {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	prefix := key + "="
	var values []string
	switch key {
	case "dangling", "inuse", "shared":
		values = boolValues
	case "status":
		values = containerStates
	case "scope":
		values = networkScopes
	case "type":
		if slices.Contains(kinds, inspect.KindNetworks) {
			values = append(values, networkTypes...)
		}
		if slices.Contains(kinds, inspect.KindBuildCache) {
			values = append(values, buildCacheTypes...)
		}
	case "label", "label!":
		return labelCompletions(f.engineObjects(c, kinds), prefix, toComplete), cobra.ShellCompDirectiveNoFileComp
	case "name", "network", "volume", "ancestor", "reference":
		// What each key names: a name of the kind listed (name=), or
		// of the kind it refers to (a container's network=, ancestor=).
		ref := map[string]inspect.Kind{"network": inspect.KindNetworks, "volume": inspect.KindVolumes, "ancestor": inspect.KindImages, "reference": inspect.KindImages}
		want := kinds
		if k, ok := ref[key]; ok {
			want = []inspect.Kind{k}
		} else {
			want = slices.DeleteFunc(slices.Clone(want), func(k inspect.Kind) bool { return k == inspect.KindImages })
		}
		for _, o := range f.engineObjects(c, want) {
			if o.name != "" && !slices.Contains(values, o.name) {
				values = append(values, o.name)
			}
		}
	}
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, val) {
			out = append(out, prefix+v)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// pruneNameKinds are the kinds whose names prune's --keep and --keep-label
// apply to: those given as arguments, else every kind that has names.
func pruneNameKinds(args []string) []inspect.Kind {
	var kinds []inspect.Kind
	for _, a := range args {
		if k, err := parseKind(a); err == nil && k.Named() && !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(args) == 0 {
		return nameKinds
	}
	return kinds
}

// labelCompletions offers prefix+KEY for the label keys of objs, or
// prefix+KEY=VALUE for the values of KEY once toComplete has KEY=.
func labelCompletions(objs []object, prefix, toComplete string) []cobra.Completion {
	typed := strings.TrimPrefix(toComplete, prefix)
	key, _, withValue := strings.Cut(typed, "=")
	seen := map[string]bool{}
	var out []cobra.Completion
	for _, o := range objs {
		for k, v := range o.labels {
			c := k
			if withValue {
				if k != key {
					continue
				}
				c = k + "=" + v
			}
			if c = prefix + c; !seen[c] && strings.HasPrefix(c, toComplete) {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}

func withPrefix(list []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// object is what completion needs of an engine object.
type object struct {
	kind inspect.Kind
	// name is an image reference (repo:tag) or a container, volume or
	// network name; "" for an untagged image.
	name   string
	labels map[string]string
}

// engineObjects lists the objects of kinds from the engine that -H,
// --context or the environment name, within completionTimeout. Completion
// output is data for the shell: on any failure (no engine, a bad --host,
// a timeout) it offers nothing, and says why only in cobra's debug log
// (BASH_COMP_DEBUG_FILE), never on stdout.
func (f *Factory) engineObjects(c *cobra.Command, kinds []inspect.Kind) []object {
	// Completion reads from the engine the command would use, and offers
	// nothing for several rather than ask one the user did not mean.
	if len(kinds) == 0 || f.Fleet() {
		return nil
	}
	eng, _, err := f.Engine()
	if err != nil {
		cobra.CompDebugln("dockctl: "+err.Error(), false)
		return nil
	}
	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, f.CompletionTimeout)
	defer cancel()
	lists := make([][]object, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Go(func() { lists[i], errs[i] = listObjects(ctx, eng, k) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		cobra.CompDebugln("dockctl: "+err.Error(), false)
		return nil
	}
	return slices.Concat(lists...)
}

// listObjects asks for the cheap list of one kind (not /system/df, which
// computes sizes). The one switch over kinds in cmd: each case is its own
// engine call and type; build cache records have no names to complete.
func listObjects(ctx context.Context, eng Engine, k inspect.Kind) ([]object, error) {
	var out []object
	switch k {
	case inspect.KindImages:
		imgs, err := eng.ImageList(ctx, image.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, im := range imgs {
			tagged := false
			for _, ref := range im.RepoTags {
				if ref != "" && ref != "<none>:<none>" {
					out = append(out, object{kind: k, name: ref, labels: im.Labels})
					tagged = true
				}
			}
			if !tagged {
				out = append(out, object{kind: k, labels: im.Labels})
			}
		}
	case inspect.KindContainers:
		cs, err := eng.ContainerList(ctx, container.ListOptions{All: true})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			o := object{kind: k, labels: c.Labels}
			if len(c.Names) > 0 {
				o.name = strings.TrimPrefix(c.Names[0], "/")
			}
			out = append(out, o)
		}
	case inspect.KindVolumes:
		vs, err := eng.VolumeList(ctx, volume.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, v := range vs.Volumes {
			if v != nil {
				out = append(out, object{kind: k, name: v.Name, labels: v.Labels})
			}
		}
	case inspect.KindNetworks:
		ns, err := eng.NetworkList(ctx, network.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			out = append(out, object{kind: k, name: n.Name, labels: n.Labels})
		}
	}
	return out, nil
}
