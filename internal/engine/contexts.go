package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// ContextNames lists the docker contexts as 'docker context ls' does:
// "default" (DOCKER_HOST or the built-in socket) first, then every context
// stored under the config dir's contexts/meta, by name.
func ContextNames(env Env) ([]string, error) {
	dir := filepath.Join(configDir(env), "contexts", "meta")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("listing docker contexts in %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "meta.json"))
		if err != nil {
			continue // a half-written context is not one docker lists either
		}
		var meta struct {
			Name string `json:"Name"`
		}
		if json.Unmarshal(b, &meta) != nil || meta.Name == "" || meta.Name == "default" {
			continue
		}
		names = append(names, meta.Name)
	}
	sort.Strings(names)
	return append([]string{"default"}, names...), nil
}
