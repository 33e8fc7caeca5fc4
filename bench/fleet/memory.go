package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// memoryGoalKiB is issue 12 item 4's bound on the peak RSS of
// `dockctl report -v --format json` at 10,000 containers.
const memoryGoalKiB = 64 << 10

// memoryRun serves one generated engine (by default 10,000 containers,
// 2,000 volumes, 200 images, 500 build cache records) on a unix socket and
// measures the peak RSS (VmHWM) of `dockctl report -v --format json` over
// it: once with a cold layer cache, then -runs times warm. The engine's
// answers are pre-encoded in this process, so none of their bytes count
// against dockctl.
func memoryRun(cfg config) error {
	tmp, err := os.MkdirTemp("", "dockctl-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := cfg.bin
	if bin == "" {
		bin = filepath.Join(tmp, "dockctl")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/dockctl").CombinedOutput(); err != nil {
			return fmt.Errorf("building dockctl: %v\n%s", err, out)
		}
	}
	cat, err := newCatalogue(cfg.seed, max(cfg.sizes.Catalogue, cfg.sizes.Images))
	if err != nil {
		return err
	}
	eng, err := newEngine(0, cfg.seed, cfg.sizes, cat, cfg.latency)
	if err != nil {
		return err
	}
	sock := filepath.Join(tmp, "engine.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: eng, ReadHeaderTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DOCKER_") || strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			continue
		}
		env = append(env, kv)
	}
	cfgDir := filepath.Join(tmp, "docker-config")
	if err := os.Mkdir(cfgDir, 0o700); err != nil {
		return err
	}
	env = append(env, "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+cfgDir, "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"))
	args := []string{"report", "-v", "--format", "json"}

	fmt.Printf("Machine: %s\n", machine())
	fmt.Printf("Engine: one fake engine on a unix socket, %d images, %d containers (a quarter running), %d volumes, %d build cache records; /system/df answer %d KiB, /containers/json %d KiB\n",
		cfg.sizes.Images, cfg.sizes.Containers, cfg.sizes.Volumes, cfg.sizes.BuildCache, len(eng.answers["/system/df"])>>10, len(eng.answers["/containers/json"])>>10)
	var peak int64
	for i := range cfg.runs + 1 {
		s, err := measure(bin, args, env)
		if err != nil {
			return err
		}
		var doc struct {
			Containers json.RawMessage `json:"containers"`
		}
		if s.exit != 0 || json.Unmarshal(s.stdout, &doc) != nil {
			return fmt.Errorf("dockctl %s: exit %d, %d bytes of output; stderr: %s", strings.Join(args, " "), s.exit, len(s.stdout), firstLine(s.stderr))
		}
		cache := "warm"
		if i == 0 {
			cache = "cold"
		}
		peak = max(peak, s.rssKiB)
		fmt.Printf("dockctl %s (%s layer cache): wall %.2f s, peak RSS %.1f MiB, output %d KiB\n", strings.Join(args, " "), cache, s.wall.Seconds(), float64(s.rssKiB)/1024, len(s.stdout)>>10)
	}
	fmt.Printf("Goal: peak RSS ≤ 64 MiB at 10,000 containers: %.1f MiB (%s)\n", float64(peak)/1024, metOrNot(peak <= memoryGoalKiB))
	if peak > memoryGoalKiB {
		return fmt.Errorf("peak RSS %.1f MiB exceeds 64 MiB", float64(peak)/1024)
	}
	return nil
}
