package probe

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/system"
)

// JSONLogFiles lists LogPath and its rotations only, at the path they are
// visible here (the root dir mounted elsewhere), and nothing for other
// drivers or a LogPath outside the root dir.
func TestJSONLogFiles(t *testing.T) {
	root := t.TempDir()
	id := "abc"
	dir := filepath.Join(root, "containers", id)
	write := func(rel string, n int) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(id+"-json.log", 30)
	write(id+"-json.log.1", 20)
	write(id+"-json.log.2.gz", 5)
	write(id+"-json.log.bak", 7)
	write("local-logs/container.log", 9)
	write("container-cached.log", 4)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, id+"-json.log.3")); err != nil {
		t.Fatal(err)
	}
	p, err := Open(system.Info{DockerRootDir: "/var/lib/docker"}, Options{RootDir: root})
	if err != nil {
		t.Fatal(err)
	}
	logPath := "/var/lib/docker/containers/" + id + "/" + id + "-json.log"
	live := filepath.Join(dir, id+"-json.log")
	tests := []struct {
		name string
		c    Container
		want []LogFile
	}{
		{"json-file", Container{ID: id, LogPath: logPath, LogDriver: "json-file"},
			[]LogFile{{live, 30}, {live + ".1", 20}, {live + ".2.gz", 5}}},
		{"local driver", Container{ID: id, LogDriver: "local"}, nil},
		{"json-file named in another dir", Container{ID: id, LogPath: "/elsewhere/" + id + "-json.log", LogDriver: "json-file"}, nil},
		{"no live file", Container{ID: id, LogPath: "/var/lib/docker/containers/" + id + "/none-json.log", LogDriver: "json-file"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := p.JSONLogFiles(tt.c)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
