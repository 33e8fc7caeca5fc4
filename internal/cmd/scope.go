package cmd

import (
	"strings"
	"time"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/outfile"
)

// parseScopeFilters reads the --filter values of report and prune: label,
// label!, until and id (an id prefix, as docker builder prune takes it),
// which mean the same for every kind. Build-cache
// records carry no labels, so a label filter matches none of them, and
// byLabel is set: the caller may leave the build cache out of scope.
func parseScopeFilters(cmd string, raw []string, now time.Time) (filters map[inspect.Kind]inspect.Filter, byLabel bool, err error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	byID := false
	for _, r := range raw {
		key, _, _ := strings.Cut(r, "=")
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "label", "label!":
			byLabel = true
		case "id":
			byID = true
		case "until":
		default:
			return nil, false, clierr.Usage("--filter", r, "%s takes label, label!, until and id filters", cmd)
		}
	}
	filters = map[inspect.Kind]inspect.Filter{}
	for _, k := range inspect.Kinds {
		// Build-cache records carry no labels, volumes no id: such a
		// filter matches none of them.
		if (k == inspect.KindBuildCache && byLabel) || (k == inspect.KindVolumes && byID) {
			filters[k] = inspect.MatchNone(k)
			continue
		}
		if filters[k], err = inspect.ParseFilters(k, raw, now); err != nil {
			return nil, false, err
		}
	}
	return filters, byLabel, nil
}

// checkOutputPath refuses, before the engine is asked anything, a file
// flag naming a directory or a file in a folder that does not exist.
func checkOutputPath(flag, path string) error {
	if path == "" {
		return nil
	}
	if err := outfile.Check(path); err != nil {
		return clierr.Usage(flag, path, "%v", err)
	}
	return nil
}
