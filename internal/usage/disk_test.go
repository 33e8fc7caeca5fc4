package usage

import (
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
)

// measured is what the probe would find under sample(): c1 (running) has
// a 2,000,000 B log, c2 (exited) 31,500,000 B; the driver dir holds the
// image layers and the containers' layers measured du's way (a little
// more than docker's sizes: directories), and an orphan of 400,000 B.
func measured() *probe.Measurement {
	return &probe.Measurement{
		RootDir: "/var/lib/docker",
		// 4,096 (the root) + the entries below.
		RootDirBytes: 4_096 + 33_540_000 + 9_453_000 + 53_484 + 130_000 + 8_192,
		TopLevel: []probe.DirBytes{
			{Name: "containers", Bytes: 33_540_000},
			{Name: "fuse-overlayfs", Bytes: 9_453_000},
			{Name: "image", Bytes: 130_000},
			{Name: "tmp", Bytes: 8_192},
			{Name: "volumes", Bytes: 53_484, Entries: []probe.DirBytes{
				{Name: "data", Bytes: 5_096}, {Name: "anon1", Bytes: 4_166}, {Name: "named-orphan", Bytes: 4_126},
				{Name: "metadata.db", Bytes: 32_768}, {Name: "gone", Bytes: 3_232},
			}},
		},
		Driver: &probe.DriverDir{Name: "fuse-overlayfs", ImageBytes: 9_040_000, ContainerBytes: 3_000, OtherBytes: 410_000},
		Containers: []probe.ContainerBytes{
			{ID: "c1", LogBytes: 2_000_000, WritableBytes: 100},
			{ID: "c2", LogBytes: 31_500_000, WritableBytes: 50},
		},
	}
}

// attributed is measured() with the containers' dirs and the layer and
// image stores' records attributed by path, as Measure does on 20.10.
func attributed() *probe.Measurement {
	m := measured()
	for i := range m.TopLevel {
		switch m.TopLevel[i].Name {
		case "containers":
			m.TopLevel[i].ContainerBytes = 33_530_000
		case "image":
			m.TopLevel[i].ImageBytes, m.TopLevel[i].ContainerBytes = 100_000, 8_000
		}
	}
	return m
}

func TestDiskRows(t *testing.T) {
	tests := []struct {
		name   string
		scope  Scope
		m      *probe.Measurement
		reason string
		// Logs row, Unaccounted SIZE, accounted bytes (-1 not computed).
		logs              Row
		unaccounted       int64
		accounted, rootDu int64
		dirs              []string
	}{
		{
			name: "measured", m: measured(),
			logs: Row{Total: 2, Active: 1, SizeBytes: 33_500_000, ReclaimableBytes: 31_500_000},
			// containers: 40,000 of config; driver: 410,000 - 800 of
			// build cache; image, tmp whole; volumes: its own entry,
			// metadata.db and gone.
			unaccounted: 40_000 + 409_200 + 130_000 + 8_192 + 40_096,
			// metadata: image layer dirs 40,000 beyond SIZE, the volumes'
			// dirs 12,288, the containers' layer dirs 2,850.
			accounted: 9_000_000 + 150 + 1100 + 800 + 33_500_000 + 40_000 + 12_288 + 2_850 + 40_000 + 409_200 + 130_000 + 8_192 + 40_096,
			rootDu:    4_096 + 33_540_000 + 9_453_000 + 53_484 + 130_000 + 8_192,
			dirs:      []string{"fuse-overlayfs", "image", "volumes", "containers", "tmp"},
		},
		{
			// Issue 11 weakness: the containers' dirs (logs and config)
			// and the layer and image records attributed by path are the
			// objects' metadata, not Unaccounted; the rows plus metadata
			// plus Unaccounted fall short of du by the root's own entry.
			name: "metadata attributed by path", m: attributed(),
			logs:        Row{Total: 2, Active: 1, SizeBytes: 33_500_000, ReclaimableBytes: 31_500_000},
			unaccounted: 10_000 + 409_200 + 22_000 + 8_192 + 40_096,
			// metadata: images 9,140,000 - 9,000,000; containers 3,000 +
			// 33,530,000 + 8,000 - 150 - the logs; volumes 12,288.
			accounted: 9_000_000 + 150 + 1100 + 800 + 33_500_000 + 140_000 + 40_850 + 12_288 + 10_000 + 409_200 + 22_000 + 8_192 + 40_096,
			rootDu:    4_096 + 33_540_000 + 9_453_000 + 53_484 + 130_000 + 8_192,
			dirs:      []string{"fuse-overlayfs", "volumes", "image", "containers", "tmp"},
		},
		{
			name: "filtered: rows scoped, no accounted figure", m: measured(),
			scope:       Scope{Filters: map[inspect.Kind]inspect.Filter{inspect.KindContainers: mustParse(t, inspect.KindContainers, "label=job")}},
			logs:        Row{Total: 1, Active: 0, SizeBytes: 31_500_000, ReclaimableBytes: 31_500_000},
			unaccounted: 40_000 + 409_200 + 130_000 + 8_192 + 40_096,
			accounted:   -1,
			rootDu:      4_096 + 33_540_000 + 9_453_000 + 53_484 + 130_000 + 8_192,
			dirs:        []string{"fuse-overlayfs", "image", "volumes", "containers", "tmp"},
		},
		{
			name: "unavailable", reason: "cannot measure the disk: …",
			accounted: -1, rootDu: -1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := sample()
			inv.Containers[1].Labels = map[string]string{"job": ""}
			for i := range inv.Containers {
				inv.Containers[i].LogBytes = inspect.SizeUnknown
			}
			r := Build(inv, inspect.EngineInfo{StorageDriver: "fuse-overlayfs"}, Options{Verbose: true, Scope: tc.scope, Disk: tc.m, DiskUnavailable: tc.reason})
			d := r.Disk
			if d == nil || d.RootDirBytes != tc.rootDu || d.AccountedBytes != tc.accounted || d.UnavailableReason != tc.reason {
				t.Fatalf("disk = %+v; want du %d, accounted %d, reason %q", d, tc.rootDu, tc.accounted, tc.reason)
			}
			if tc.m == nil {
				if r.Summary.Logs != nil || r.Summary.Unaccounted != nil || r.Logs != nil {
					t.Errorf("rows without a measurement: logs %+v, unaccounted %+v, list %v", r.Summary.Logs, r.Summary.Unaccounted, r.Logs)
				}
				if r.Summary.Containers.ReclaimableBytes != 50 {
					t.Errorf("containers reclaimable = %d, want today's 50", r.Summary.Containers.ReclaimableBytes)
				}
				return
			}
			if got := *r.Summary.Logs; got != tc.logs {
				t.Errorf("logs row = %+v, want %+v", got, tc.logs)
			}
			if got := r.Summary.Unaccounted.SizeBytes; got != tc.unaccounted {
				t.Errorf("unaccounted = %d, want %d (%+v)", got, tc.unaccounted, d.Unaccounted)
			}
			var names []string
			for _, s := range d.Unaccounted {
				names = append(names, s.Name)
			}
			if len(names) != len(tc.dirs) {
				t.Fatalf("unaccounted dirs = %v, want %v", names, tc.dirs)
			}
			for i := range names {
				if names[i] != tc.dirs[i] {
					t.Errorf("unaccounted dirs = %v, want %v (largest first)", names, tc.dirs)
					break
				}
			}
			// The stopped container's removal frees its log.
			if got := r.Summary.Containers.ReclaimableBytes; got != 50+31_500_000 {
				t.Errorf("containers reclaimable = %d, want 50 + its log 31,500,000", got)
			}
			if len(r.Logs) == 0 || r.Logs[0].ID != "c2" {
				t.Errorf("logs list = %+v, want c2 first", r.Logs)
			}
			if tc.accounted > 0 && !Within(d.AccountedBytes, d.RootDirBytes) {
				t.Errorf("accounted %d of %d: outside the tolerance", d.AccountedBytes, d.RootDirBytes)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		accounted, du int64
		want          bool
	}{
		{100_000_000 - 1_000_000, 100_000_000, true},
		{100_000_000 - 1_000_001, 100_000_000, false},
		{1_000_000 - 256<<10, 1_000_000, true},
		{1_000_000 - 256<<10 - 1, 1_000_000, false},
		{1_000_000 + 256<<10 + 1, 1_000_000, false},
	}
	for _, tc := range tests {
		if got := Within(tc.accounted, tc.du); got != tc.want {
			t.Errorf("Within(%d, %d) = %v, want %v", tc.accounted, tc.du, got, tc.want)
		}
	}
}

func mustParse(t *testing.T, k inspect.Kind, raw ...string) inspect.Filter {
	t.Helper()
	f, err := inspect.ParseFilters(k, raw, sample().Time)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
