package inspect

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var filterNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestParseFiltersRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind Kind
		raw  string
		want string
	}{
		{KindImages, "dangling", "expected key=value"},
		{KindImages, "=x", "expected key=value"},
		{KindImages, "colour=red", `unknown filter "colour"`},
		{KindImages, "status=running", `unknown filter "status"`},
		{KindImages, "dangling=maybe", "true or false"},
		{KindContainers, "status=sleeping", "status must be one of"},
		{KindImages, "reference=[", "bad reference pattern"},
		{KindImages, "until=yesterday", "time \"yesterday\""},
		{KindNetworks, "type=weird", "custom or builtin"},
		{KindVolumes, "label=", "needs a key"},
		{KindBuildCache, "label=a", `unknown filter "label"`},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.raw, func(t *testing.T) {
			_, err := ParseFilters(tt.kind, []string{tt.raw}, filterNow)
			var fe *FilterError
			if !errors.As(err, &fe) || fe.Value != tt.raw {
				t.Fatalf("err = %v, want a *FilterError for %q", err, tt.raw)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.raw) {
				t.Fatalf("err = %q, want it to name %q and say %q", err, tt.raw, tt.want)
			}
		})
	}
	if _, err := ParseFilters(KindImages, []string{"until=1h", "until=2h"}, filterNow); err == nil {
		t.Fatal("two until filters accepted")
	}
	if _, err := ParseFilters(KindImages, []string{"dangling=true", "dangling=false"}, filterNow); err == nil {
		t.Fatal("conflicting dangling filters accepted")
	}
}

func TestImageFilter(t *testing.T) {
	t.Parallel()
	imgs := []Image{
		{ID: "sha256:aaa111", Tags: []string{"app:1", "registry.local:5000/team/app:2"}, Labels: map[string]string{"tier": "web", "keep": "yes"}, Created: filterNow.Add(-48 * time.Hour)},
		{ID: "sha256:bbb222", Tags: []string{}, Dangling: true, Labels: map[string]string{}, Created: filterNow.Add(-time.Hour)},
		{ID: "sha256:ccc333", Tags: []string{"postgres:16"}, Labels: map[string]string{"tier": "db"}, Created: filterNow.Add(-10 * 24 * time.Hour)},
	}
	tests := []struct {
		filters []string
		want    string
	}{
		{nil, "aaa111,bbb222,ccc333"},
		{[]string{"dangling=true"}, "bbb222"},
		{[]string{"dangling=false"}, "aaa111,ccc333"},
		{[]string{"label=tier"}, "aaa111,ccc333"},
		{[]string{"label=tier=db"}, "ccc333"},
		{[]string{"label=tier", "label=keep=yes"}, "aaa111"},
		{[]string{"label!=tier"}, "bbb222"},
		{[]string{"label!=tier=web"}, "bbb222,ccc333"},
		{[]string{"reference=app"}, "aaa111"},
		{[]string{"reference=app:*"}, "aaa111"},
		{[]string{"reference=post*"}, "ccc333"},
		{[]string{"reference=registry.local:5000/team/app"}, "aaa111"},
		{[]string{"reference=app", "reference=postgres"}, "aaa111,ccc333"},
		{[]string{"until=24h"}, "aaa111,ccc333"},
		{[]string{"until=7d"}, "ccc333"},
		{[]string{"id=bbb"}, "bbb222"},
		{[]string{"id=sha256:ccc"}, "ccc333"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.filters, "&"), func(t *testing.T) {
			f, err := ParseFilters(KindImages, tt.filters, filterNow)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, img := range imgs {
				if f.Image(img) {
					got = append(got, strings.TrimPrefix(img.ID, "sha256:"))
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestContainerVolumeNetworkCacheFilters(t *testing.T) {
	t.Parallel()
	inv := &Inventory{
		Containers: []Container{
			{ID: "c1", Name: "web-1", State: "running", ImageID: "sha256:i1", Image: "app:1", Volumes: []string{"data"}, Networks: []string{"shop"}, Labels: map[string]string{}, Created: filterNow},
			{ID: "c2", Name: "worker", State: "exited", ImageID: "sha256:i2", Image: "tool:latest", Labels: map[string]string{"job": "x"}, Created: filterNow.Add(-72 * time.Hour)},
		},
		Volumes: []Volume{
			{Name: "data", Driver: "local", RefCount: 1, Labels: map[string]string{}},
			{Name: "cache", Driver: "local", RefCount: 0, Labels: map[string]string{"tmp": "1"}},
		},
		Networks: []Network{
			{ID: "n0", Name: "bridge", Builtin: true, Labels: map[string]string{}},
			{ID: "n1", Name: "shop", Containers: []string{"web-1"}, Labels: map[string]string{}},
			{ID: "n2", Name: "spare", Labels: map[string]string{}},
		},
		BuildCache: []BuildCacheRecord{
			{ID: "r1", Type: "regular", InUse: true, LastUsed: filterNow},
			{ID: "r2", Type: "source.local", Shared: true, Created: filterNow.Add(-100 * time.Hour)},
		},
	}
	tests := []struct {
		kind    Kind
		filters []string
		want    string
	}{
		{KindContainers, []string{"status=exited"}, "c2"},
		{KindContainers, []string{"status=running", "status=exited"}, "c1,c2"},
		{KindContainers, []string{"name=web"}, "c1"},
		{KindContainers, []string{"name=^/work"}, "c2"},
		{KindContainers, []string{"name=^worker$"}, "c2"},
		{KindContainers, []string{"ancestor=app"}, "c1"},
		{KindContainers, []string{"ancestor=i2"}, "c2"},
		{KindContainers, []string{"volume=data"}, "c1"},
		{KindContainers, []string{"network=shop"}, "c1"},
		{KindContainers, []string{"label=job=x"}, "c2"},
		{KindContainers, []string{"until=24h"}, "c2"},
		{KindVolumes, []string{"dangling=true"}, "cache"},
		{KindVolumes, []string{"dangling=false"}, "data"},
		{KindVolumes, []string{"name=dat"}, "data"},
		{KindVolumes, []string{"label!=tmp"}, "data"},
		{KindNetworks, []string{"dangling=true"}, "n2"},
		{KindNetworks, []string{"type=builtin"}, "n0"},
		{KindNetworks, []string{"type=custom"}, "n1,n2"},
		{KindBuildCache, []string{"inuse=true"}, "r1"},
		{KindBuildCache, []string{"shared=true"}, "r2"},
		{KindBuildCache, []string{"type=regular"}, "r1"},
		{KindBuildCache, []string{"until=48h"}, "r2"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+strings.Join(tt.filters, "&"), func(t *testing.T) {
			f, err := ParseFilters(tt.kind, tt.filters, filterNow)
			if err != nil {
				t.Fatal(err)
			}
			cp := *inv
			f.Apply(&cp)
			var got []string
			switch tt.kind {
			case KindContainers:
				for _, c := range cp.Containers {
					got = append(got, c.ID)
				}
			case KindVolumes:
				for _, v := range cp.Volumes {
					got = append(got, v.Name)
				}
			case KindNetworks:
				for _, n := range cp.Networks {
					got = append(got, n.ID)
				}
			case KindBuildCache:
				for _, r := range cp.BuildCache {
					got = append(got, r.ID)
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
			if len(inv.Containers) != 2 || len(inv.Volumes) != 2 {
				t.Fatal("Apply modified the source slices")
			}
		})
	}
}
