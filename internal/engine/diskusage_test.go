package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"
)

// TestDiskUsageStreams: the df answer decoded element by element through
// the client equals the whole-document decode, field for field, for
// full lists, null lists and the scalars; an error answer is the client's
// own error with the engine's message.
func TestDiskUsageStreams(t *testing.T) {
	used := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	full := types.DiskUsage{
		LayersSize: 12345,
		Images:     []*image.Summary{{ID: "sha256:a", RepoTags: []string{"a:1"}, Size: 10, SharedSize: 4, Containers: 2, Labels: map[string]string{"k": "v"}}},
		Containers: []*container.Summary{{ID: "c1", Names: []string{"/one"}, SizeRw: 7, SizeRootFs: 17, Labels: map[string]string{}}, {ID: "c2", Mounts: []container.MountPoint{{Type: "volume", Name: "v1"}}}},
		Volumes:    []*volume.Volume{{Name: "v1", Driver: "local", UsageData: &volume.UsageData{Size: 99, RefCount: 1}}},
		BuildCache: []*build.CacheRecord{{ID: "r1", Type: "regular", Size: 3, Shared: true, LastUsedAt: &used, Parents: []string{"p"}}},
	}
	tests := []struct {
		name string
		body string
		code int
		// wantErr is part of the error, "" for none.
		wantErr string
	}{
		{"full", mustJSON(t, full), 200, ""},
		{"null lists", `{"LayersSize":0,"Images":null,"Containers":null,"Volumes":null,"BuildCache":null}`, 200, ""},
		{"scalars and an unknown key", `{"LayersSize":5,"BuilderSize":6,"SomethingNew":{"x":[1,2]},"Images":[]}`, 200, ""},
		{"error answer", `{"message":"a disk usage operation is already running"}`, 500, "a disk usage operation is already running"},
		{"cut short", `{"LayersSize":5,"Containers":[{"Id":"c1"},`, 200, "reading the disk usage answer"},
	}
	env := func(k string) string {
		if k == "DOCKER_API_VERSION" {
			return "1.41"
		}
		return ""
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.code)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c, err := New(Endpoint{Host: "tcp://" + strings.TrimPrefix(srv.URL, "http://")}, env, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := c.DiskUsage(context.Background(), types.DiskUsageOptions{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want types.DiskUsage
			if err := json.Unmarshal([]byte(tc.body), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("streamed\n%s\nwhole\n%s", mustJSON(t, got), mustJSON(t, want))
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
