// Command app is the demo's workload: a stand-in for a real service that
// keeps data in a named volume, so that `dockctl report --by project` has a
// compose project with a container, an image, a volume and a network to
// show.
//
// It writes DEMO_SEED_BYTES of random data to DEMO_DIR/seed once (random, so
// the volume's size is what was written), then appends a line to
// DEMO_DIR/ticks.log every DEMO_INTERVAL. The log is rotated once at
// DEMO_LOG_MAX_BYTES, so a demo left running for months stays small. It
// exits 0 on SIGTERM or SIGINT, so `docker compose down` is quick.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo app:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := env("DEMO_DIR", "/data")
	interval, err := time.ParseDuration(env("DEMO_INTERVAL", "30s"))
	if err != nil || interval <= 0 {
		return fmt.Errorf("DEMO_INTERVAL %q: want a positive duration such as 30s", os.Getenv("DEMO_INTERVAL"))
	}
	seedBytes, err := strconv.ParseInt(env("DEMO_SEED_BYTES", "0"), 10, 64)
	if err != nil || seedBytes < 0 {
		return fmt.Errorf("DEMO_SEED_BYTES %q: want a byte count", os.Getenv("DEMO_SEED_BYTES"))
	}
	logMax, err := strconv.ParseInt(env("DEMO_LOG_MAX_BYTES", "65536"), 10, 64)
	if err != nil || logMax <= 0 {
		return fmt.Errorf("DEMO_LOG_MAX_BYTES %q: want a positive byte count", os.Getenv("DEMO_LOG_MAX_BYTES"))
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := seed(filepath.Join(dir, "seed"), seedBytes); err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("demo app: writing to %s every %s\n", dir, interval)

	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 1; ; n++ {
		line := fmt.Sprintf("%s tick %d from %s\n", time.Now().UTC().Format(time.RFC3339), n, host)
		if err := appendLog(filepath.Join(dir, "ticks.log"), line, logMax); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			fmt.Println("demo app: stopping")
			return nil
		case <-t.C:
		}
	}
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// seed writes n random bytes to path unless a whole seed is already there
// (the volume outlives the container). It writes path.tmp and renames it,
// so a seed cut short by a restart is never taken for a whole one.
func seed(path string, n int64) error {
	if n == 0 {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.Size() == n {
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// appendLog appends line to path, first moving a log of limit bytes or more
// to path.1 (replacing the previous one).
func appendLog(path, line string, limit int64) error {
	if st, err := os.Stat(path); err == nil && st.Size() >= limit {
		if err := os.Rename(path, path+".1"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
