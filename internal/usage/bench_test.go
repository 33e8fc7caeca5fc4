package usage

import (
	"fmt"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

// bigInventory is a busy CI host: n images on 10 shared bases, 2n
// containers (a quarter running), n volumes, n/4 build-cache records.
func bigInventory(n int) *inspect.Inventory {
	inv := &inspect.Inventory{Collected: inspect.Kinds, Time: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	for i := range n {
		base := fmt.Sprint("base", i%10)
		inv.Images = append(inv.Images, inspect.Image{
			ID: fmt.Sprint("img", i), Tags: []string{fmt.Sprintf("repo%d:%d", i%50, i)}, Created: inv.Time.Add(-time.Duration(i) * time.Hour),
			SizeBytes: 3_000_000, Layers: []inspect.Layer{layer(base, 2_000_000), layer(fmt.Sprint(base, "/own", i), 1_000_000)},
		})
		inv.Volumes = append(inv.Volumes, inspect.Volume{Name: fmt.Sprint("vol", i), SizeBytes: 1000, Anonymous: i%2 == 0})
	}
	for i := range 2 * n {
		state := "exited"
		if i%4 == 0 {
			state = "running"
		}
		inv.Containers = append(inv.Containers, inspect.Container{ID: fmt.Sprint("c", i), Name: fmt.Sprint("c", i), ImageID: fmt.Sprint("img", i%n), State: state, SizeBytes: 100, Volumes: []string{fmt.Sprint("vol", i%n)}})
	}
	for i := range n / 4 {
		inv.BuildCache = append(inv.BuildCache, inspect.BuildCacheRecord{ID: fmt.Sprint("r", i), SizeBytes: 5000, Shared: i%3 == 0})
	}
	return inv
}

// The report's accounting on big hosts: it plans a prune per row (see
// Compute), so it must stay far below the engine's own /system/df time
// (about 50 ms per container on this machine's fuse-overlayfs).
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		inv := bigInventory(n)
		b.Run(fmt.Sprint(n, " images"), func(b *testing.B) {
			for b.Loop() {
				Compute(inv, Scope{})
			}
		})
	}
}

// The whole report (accounting, projects, verbose lists) on big hosts.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		inv := bigInventory(n)
		b.Run(fmt.Sprint(n, " images"), func(b *testing.B) {
			for b.Loop() {
				Build(inv, inspect.EngineInfo{}, Options{Verbose: true})
			}
		})
	}
}
