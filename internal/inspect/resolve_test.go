package inspect

import (
	"slices"
	"testing"
)

// An argument that is no kind is looked up in every kind, as docker
// inspect does: names and full ids first, then id prefixes; several
// matches are all returned, so the caller can list them (issue 14 item 14).
func TestResolve(t *testing.T) {
	t.Parallel()
	inv := &Inventory{
		Images: []Image{
			{ID: "sha256:aaaa1111", Tags: []string{"app:1", "app:latest"}},
			{ID: "sha256:aaaa2222", Tags: []string{"library/postgres:16"}, Digests: []string{"postgres@sha256:dddd"}},
			{ID: "sha256:bbbb3333"},
		},
		Containers: []Container{{ID: "cccc4444", Name: "web-1", ImageID: "sha256:aaaa1111"}, {ID: "cccc5555", Name: "data"}},
		Volumes:    []Volume{{Name: "data", Containers: []string{"web-1"}}, {Name: "cache"}},
		Networks:   []Network{{ID: "nnnn6666", Name: "shop_default"}},
	}
	tests := []struct {
		arg  string
		want []string // Ref.String of each match
	}{
		{"app", []string{"image app:latest (sha256:aaaa1111)"}},
		{"app:1", []string{"image app:1 (sha256:aaaa1111)"}},
		{"docker.io/library/app:1", []string{"image app:1 (sha256:aaaa1111)"}},
		{"postgres:16", []string{"image library/postgres:16 (sha256:aaaa2222)"}},
		{"postgres@sha256:dddd", []string{"image postgres@sha256:dddd (sha256:aaaa2222)"}},
		{"sha256:bbbb3333", []string{"image sha256:bbbb3333"}},
		{"bbbb", []string{"image sha256:bbbb3333"}},
		{"aaaa", []string{"image app:1 (sha256:aaaa1111)", "image library/postgres:16 (sha256:aaaa2222)"}},
		{"web-1", []string{"container web-1 (cccc4444)"}},
		{"/web-1", []string{"container web-1 (cccc4444)"}},
		{"cccc4", []string{"container web-1 (cccc4444)"}},
		{"data", []string{"container data (cccc5555)", "volume data"}},
		{"cache", []string{"volume cache"}},
		{"cach", nil}, // no prefix of a volume name, as docker
		{"shop_default", []string{"network shop_default (nnnn6666)"}},
		{"nnnn", []string{"network shop_default (nnnn6666)"}},
		{"nothing", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range Resolve(inv, tt.arg) {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Resolve(%q) = %q, want %q", tt.arg, got, tt.want)
			}
		})
	}
	// What uses the object, and its record.
	web := Resolve(inv, "app")[0]
	if u := Users(inv, web); !slices.Equal(u, []string{"web-1"}) {
		t.Errorf("Users(app) = %q", u)
	}
	if u := Users(inv, Resolve(inv, "cache")[0]); len(u) != 0 {
		t.Errorf("Users(cache) = %q", u)
	}
	if o, ok := Object(inv, web).(Image); !ok || o.ID != "sha256:aaaa1111" {
		t.Errorf("Object(app) = %#v", Object(inv, web))
	}
}
