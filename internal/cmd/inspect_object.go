package cmd

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/prune"
	"github.com/dockctl/dockctl/internal/render"
)

// objectPrunes are the prune command lines `dockctl inspect NAME|ID`
// shows the decision of: the default, and the widest one.
var objectPrunes = []struct {
	command string
	policy  prune.Policy
}{
	{"dockctl prune", prune.Policy{}},
	{"dockctl prune --all --all-volumes", prune.Policy{All: true, AllVolumes: true}},
}

// checkObjectArgs refuses the listing flags with an object: they say how
// to list a kind, and one object is no listing.
func checkObjectArgs(opts *InspectOptions, f *Factory) error {
	switch {
	case f.Fleet():
		return clierr.Usage("object", opts.Object, "shows an object of one engine: give one --host or --context")
	case len(opts.Filters) > 0:
		return clierr.Usage("--filter", opts.Filters[0], "narrows a kind's listing, not one object (%q is no kind: %s)", opts.Object, strings.Join(inspect.KindNames(), ", "))
	case opts.Quiet:
		return clierr.Usage("--quiet", "true", "prints a kind's ids, not one object (%q is no kind: %s)", opts.Object, strings.Join(inspect.KindNames(), ", "))
	case opts.Format != "table" && opts.Format != "json":
		return clierr.Usage("--format", opts.Format, "an object is shown as %s", oneOf(render.ObjectFormats))
	}
	return nil
}

// inspectObjectRun is `dockctl inspect NAME|ID`: the object the argument
// names, looked up in every kind as `docker inspect` does, with its users
// and what each prune in objectPrunes would do to it.
func inspectObjectRun(ctx context.Context, opts *InspectOptions) (render.Result, error) {
	eng, _, err := opts.Engine()
	if err != nil {
		return nil, err
	}
	// The planner needs every kind (containers decide what is in use) and
	// the layers (exact bytes), as prune reads them.
	inv, err := inspect.Collect(ctx, eng, inspect.Kinds, opts.now, opts.collectOptions()...)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", opts.Object, err)
	}
	if err := inspect.CollectLayers(ctx, eng, inv.Images, inspect.LayerOptions{Cache: opts.layerCache(false)}); err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", opts.Object, err)
	}
	refs := inspect.Resolve(inv, opts.Object)
	switch len(refs) {
	case 0:
		return nil, clierr.Usage("kind or object", opts.Object, "no kind (%s) and no image, container, volume or network of that name or id", strings.Join(inspect.KindNames(), ", "))
	case 1:
	default:
		names := make([]string, len(refs))
		for i, r := range refs {
			names[i] = r.String()
		}
		return nil, clierr.Usage("object", opts.Object, "names %s: give a longer id", strings.Join(names, ", "))
	}
	ref := refs[0]
	return render.ObjectResult{
		Ref: ref, Object: inspect.Object(inv, ref), Users: inspect.Users(inv, ref),
		Prune: objectDecisions(inv, ref, opts), Format: opts.Format, Now: opts.now,
	}, nil
}

// objectDecisions runs the planner over the inventory for each of
// objectPrunes and picks what it decided for ref.
func objectDecisions(inv *inspect.Inventory, ref inspect.Ref, opts *InspectOptions) []render.ObjectDecision {
	typ := prune.TypeOf(ref.Kind)
	var out []render.ObjectDecision
	for _, p := range objectPrunes {
		plan := prune.BuildPlan(inv, p.policy, opts.now)
		n := len(out)
		for _, it := range plan.Items {
			if it.Type == typ && it.ID == ref.ID {
				action := string(it.Action)
				if action == "" {
					action = string(prune.ActionRemove)
				}
				out = append(out, render.ObjectDecision{Command: p.command, Action: action, Name: it.Name, Bytes: it.Bytes, Reason: it.Reason})
			}
		}
		for _, k := range plan.Kept {
			if k.Type == typ && k.ID == ref.ID {
				out = append(out, render.ObjectDecision{Command: p.command, Action: "keep", Name: k.Name, Reason: k.Reason})
			}
		}
		if len(out) == n {
			// Volumes are pruned only when asked for.
			out = append(out, render.ObjectDecision{Command: p.command, Action: "keep", Name: ref.Name,
				Reason: fmt.Sprintf("%s are not in this prune's kinds (name them: dockctl prune %s)", ref.Kind, ref.Kind)})
		}
	}
	return out
}

// completeInspectArg offers the kinds, then, when no kind starts with what
// is typed, the names of the engine's objects (inspect NAME): a kind is
// what most completions are after, and listing every object under
// `inspect <TAB>` would bury the kinds.
func (f *Factory) completeInspectArg(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	kinds, dir := completeKinds(inspect.KindNames(), false)(c, args, toComplete)
	if len(args) > 0 || len(kinds) > 0 || toComplete == "" {
		return kinds, dir
	}
	var named []inspect.Kind
	for _, k := range inspect.ListingOrder {
		if k.Named() {
			named = append(named, k)
		}
	}
	var out []cobra.Completion
	seen := map[string]bool{}
	for _, o := range f.engineObjects(c, named) {
		if o.name != "" && !seen[o.name] && strings.HasPrefix(o.name, toComplete) {
			seen[o.name] = true
			out = append(out, o.name)
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
