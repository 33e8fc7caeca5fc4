package usage

import (
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

func fleetReport(id string, images, containers int64) *Report {
	r := &Report{Schema: Schema, Engine: inspect.EngineInfo{ID: id}}
	r.Summary.Images = Row{Total: 2, Active: 1, SizeBytes: images, ReclaimableBytes: images / 2, DockerReclaimableBytes: images}
	r.Summary.Containers = Row{Total: 3, Active: 1, SizeBytes: containers, ReclaimableBytes: containers}
	r.TotalBytes = images + containers
	r.FullCleanupBytes = images/2 + containers
	// one byte of named volumes per engine
	r.FullCleanupAllVolumesBytes = r.FullCleanupBytes + 1
	return r
}

func named(r *Report, name string) *Report {
	r.Engine.Name = name
	return r
}

func TestNewFleet(t *testing.T) {
	tests := []struct {
		name                                   string
		engines                                []FleetEngine
		answered, failed, duplicates           int
		total, fullCleanup, images, containers int64
		same                                   map[int]string
	}{
		{name: "none", engines: nil},
		{
			name:     "two engines add up",
			engines:  []FleetEngine{{Name: "a", Report: fleetReport("A", 1000, 10)}, {Name: "b", Report: fleetReport("B", 3000, 30)}},
			answered: 2, total: 4040, fullCleanup: 2040, images: 4000, containers: 40,
		},
		{
			name:     "a failed engine counts in no sum",
			engines:  []FleetEngine{{Name: "a", Report: fleetReport("A", 1000, 10)}, {Name: "dead", Error: "cannot reach"}},
			answered: 1, failed: 1, total: 1010, fullCleanup: 510, images: 1000, containers: 10,
		},
		{
			name: "one engine at two addresses counts once",
			engines: []FleetEngine{
				{Name: "socket", Report: fleetReport("A", 1000, 10)},
				{Name: "tcp", Report: fleetReport("A", 1000, 10)},
				{Name: "b", Report: fleetReport("B", 3000, 30)},
			},
			answered: 3, duplicates: 1, total: 4040, fullCleanup: 2040, images: 4000, containers: 40,
			same: map[int]string{1: "socket"},
		},
		{
			name: "a cloned machine (same engine ID, another name) is another engine",
			engines: []FleetEngine{
				{Name: "vm-1", Report: named(fleetReport("A", 1000, 10), "vm-1")},
				{Name: "vm-2", Report: named(fleetReport("A", 1000, 10), "vm-2")},
			},
			answered: 2, total: 2020, fullCleanup: 1020, images: 2000, containers: 20,
		},
		{
			name:     "engines without an ID are never merged",
			engines:  []FleetEngine{{Name: "a", Report: fleetReport("", 1000, 10)}, {Name: "b", Report: fleetReport("", 1000, 10)}},
			answered: 2, total: 2020, fullCleanup: 1020, images: 2000, containers: 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFleet(tt.engines)
			tot := f.Totals
			if f.Schema != FleetSchema || f.Engines == nil {
				t.Fatalf("schema %q, engines nil: %v", f.Schema, f.Engines == nil)
			}
			if tot.Engines != len(tt.engines) || tot.Answered != tt.answered || tot.Failed != tt.failed || tot.Duplicates != tt.duplicates {
				t.Errorf("engines/answered/failed/duplicates = %d/%d/%d/%d, want %d/%d/%d/%d",
					tot.Engines, tot.Answered, tot.Failed, tot.Duplicates, len(tt.engines), tt.answered, tt.failed, tt.duplicates)
			}
			if tot.TotalBytes != tt.total || tot.FullCleanupBytes != tt.fullCleanup {
				t.Errorf("total %d full cleanup %d, want %d %d", tot.TotalBytes, tot.FullCleanupBytes, tt.total, tt.fullCleanup)
			}
			if want := tt.fullCleanup + int64(tt.answered-tt.duplicates); tot.FullCleanupAllVolumesBytes != want {
				t.Errorf("full cleanup with named volumes %d, want %d", tot.FullCleanupAllVolumesBytes, want)
			}
			if tot.Summary.Images.SizeBytes != tt.images || tot.Summary.Containers.SizeBytes != tt.containers {
				t.Errorf("images %d containers %d, want %d %d", tot.Summary.Images.SizeBytes, tot.Summary.Containers.SizeBytes, tt.images, tt.containers)
			}
			if tot.Summary.Images.ReclaimableBytes != tt.images/2 || tot.Summary.Images.DockerReclaimableBytes != tt.images {
				t.Errorf("image reclaimable %d (docker %d), want %d (%d)", tot.Summary.Images.ReclaimableBytes, tot.Summary.Images.DockerReclaimableBytes, tt.images/2, tt.images)
			}
			for i, e := range f.Engines {
				if e.SameEngineAs != tt.same[i] {
					t.Errorf("engine %d same as %q, want %q", i, e.SameEngineAs, tt.same[i])
				}
			}
			if len(tt.engines) > 1 && tt.engines[1].SameEngineAs != "" {
				t.Error("NewFleet changed its argument")
			}
		})
	}
}
