//go:build unix

package lock

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// In a folder others can write, the lock follows no symlink and uses only
// regular files; a missing folder is created sticky and world-writable.
func TestSharedFolderIsSafe(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "locks")
	l, err := Acquire(context.Background(), dir, "engine-id", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	st, err := os.Stat(dir)
	if err != nil || st.Mode()&(os.ModeSticky|0o777) != os.ModeSticky|0o777 {
		t.Fatalf("lock folder mode %v (err %v), want sticky and world-writable", st.Mode(), err)
	}
	fst, err := os.Stat(Path(dir, "engine-id"))
	if err != nil || fst.Mode().Perm() != 0o666 {
		t.Fatalf("lock file mode %v (err %v), want 0666 so that any user's prune records its pid", fst.Mode(), err)
	}

	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		plant func(t *testing.T, dir, key string)
	}{
		{"lock file is a symlink", func(t *testing.T, dir, key string) {
			if err := os.Symlink(victim, Path(dir, key)); err != nil {
				t.Fatal(err)
			}
		}},
		{"lock file is a folder", func(t *testing.T, dir, key string) {
			if err := os.Mkdir(Path(dir, key), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.plant(t, dir, tt.name)
			if l, err := Acquire(context.Background(), dir, tt.name, nil); err == nil {
				l.Release()
				t.Fatal("acquired a lock through a planted file")
			}
		})
	}
	t.Run("folder is a symlink", func(t *testing.T) {
		link := filepath.Join(base, "link")
		if err := os.Symlink(base, link); err != nil {
			t.Fatal(err)
		}
		if l, err := Acquire(context.Background(), link, "k", nil); err == nil {
			l.Release()
			t.Fatal("used a symlinked lock folder")
		}
	})
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Fatalf("the symlink's target was written: %q", b)
	}
}
