// Command bench times dockctl against the docker CLI on one engine filled
// with labelled objects, and cleans up after itself.
//
//	go run ./bench -images 200 -containers 400 -volumes 400 -runs 9
//
// It builds dockctl, creates the objects (all labelled dockctl.bench=<run>),
// runs `dockctl report` (with and without the storage probe) and `dockctl
// prune --dry-run` each interleaved with `docker system df`, prints the
// medians and their ratio, and removes everything it created. With -prune
// it also times `dockctl prune --yes` against `docker system prune -af`,
// each on a freshly created identical set of removable objects scoped by the
// same label. With -inspect it also times `dockctl inspect images` against
// `docker images`, `inspect networks` against `docker network ls`,
// `inspect containers` against `docker ps -a --size` and `inspect volumes`
// against `docker system df -v` (docker sizes volumes nowhere else).
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

const label = "dockctl.bench"

func main() {
	var (
		nImages     = flag.Int("images", 200, "images to create")
		nContainers = flag.Int("containers", 400, "containers to create (stopped, spread over the images)")
		nVolumes    = flag.Int("volumes", 400, "volumes to create")
		runs        = flag.Int("runs", 9, "timed runs of each command")
		docker      = flag.String("docker", "docker", "docker CLI to compare with")
		doPrune     = flag.Bool("prune", false, "also benchmark prune (slow: recreates the objects for every run)")
		pruneRuns   = flag.Int("prune-runs", 3, "timed runs of each prune")
		doInspect   = flag.Bool("inspect", false, "also time dockctl inspect images and networks against docker images and docker network ls")
		doCold      = flag.Bool("cold", false, "also time dockctl report with a cold layer cache against a warm one, interleaved")
		doCount     = flag.Bool("count", false, "also count the engine requests of each dockctl command, through a recording proxy")
		setupOnly   = flag.Bool("setup-only", false, "only create the objects, print the label selecting them, and leave them (for profiling one command)")
		cleanupRun  = flag.String("cleanup", "", "remove what -setup-only created for this run id, then exit")
	)
	flag.Parse()
	if *setupOnly || *cleanupRun != "" {
		if err := setup(*setupOnly, *cleanupRun, *nImages, *nContainers, *nVolumes); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*nImages, *nContainers, *nVolumes, *runs, *docker, *doPrune, *doInspect, *doCold, *doCount, *pruneRuns); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// setup creates one set of objects and leaves it, or removes a set.
func setup(create bool, cleanupID string, nImages, nContainers, nVolumes int) error {
	ctx := context.Background()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer c.Close()
	if !create {
		cleanup(ctx, c, cleanupID)
		return nil
	}
	runID := fmt.Sprintf("%d", time.Now().UnixNano())
	if _, err := populate(ctx, c, runID, "s", nImages, nContainers, nVolumes); err != nil {
		cleanup(ctx, c, runID)
		return err
	}
	fmt.Printf("label=%s=%s\n", label, runID)
	return nil
}

func run(nImages, nContainers, nVolumes, runs int, docker string, doPrune, doInspect, doCold, doCount bool, pruneRuns int) error {
	ctx := context.Background()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer c.Close()
	tmp, err := os.MkdirTemp("", "dockctl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "dockctl")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/dockctl").CombinedOutput(); err != nil {
		return fmt.Errorf("building dockctl: %v\n%s", err, out)
	}
	runID := fmt.Sprintf("%d", time.Now().UnixNano())
	defer cleanup(ctx, c, runID)

	start := time.Now()
	n, err := populate(ctx, c, runID, "r", nImages, nContainers, nVolumes)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "created %d labelled objects in %v\n", n, time.Since(start).Round(time.Second))

	// dockctl runs with its own layer cache dir (warm after the warm-up
	// run); a cold run gets a fresh one each time.
	warmEnv := append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache-warm"))
	cacheN := 0
	coldEnv := func() []string {
		cacheN++
		return append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(tmp, fmt.Sprintf("cache-cold%d", cacheN)))
	}
	ours, theirs, err := compare([]string{bin, "report", "--no-explain"}, []string{docker, "system", "df"}, runs, warmEnv)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %d cores, %s/%s; engine objects created: %d (images %d, containers %d, volumes %d); runs: %d\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, n, nImages, nContainers, nVolumes, runs)
	printRow("dockctl report", "docker system df", ours, theirs)
	// Without the storage probe, as for a remote engine: the engine sizes
	// everything in its /system/df.
	ours, theirs, err = compare([]string{bin, "report", "--no-explain", "--no-disk"}, []string{docker, "system", "df"}, runs, warmEnv)
	if err != nil {
		return err
	}
	printRow("dockctl report --no-disk", "docker system df", ours, theirs)
	// A CI job's dry run, scoped to the run's objects (the whole engine is
	// sized all the same: a plan needs to know what is in use). docker
	// has no dry run: its df is the nearest read of the same sizes.
	dryRun := []string{bin, "prune", "--dry-run", "--all", "--volumes", "--all-volumes", "--no-explain", "--filter", "label=" + label + "=" + runID}
	ours, theirs, err = compare(dryRun, []string{docker, "system", "df"}, runs, warmEnv)
	if err != nil {
		return err
	}
	printRow("dockctl prune --dry-run", "docker system df", ours, theirs)
	if doInspect {
		for _, pair := range [][2][]string{
			{{bin, "inspect", "images", "--no-explain"}, {docker, "images"}},
			{{bin, "inspect", "networks", "--no-explain"}, {docker, "network", "ls"}},
			// docker sizes containers with ps --size, volumes only in
			// system df -v.
			{{bin, "inspect", "containers", "--no-explain"}, {docker, "ps", "-a", "--size"}},
			{{bin, "inspect", "volumes", "--no-explain"}, {docker, "system", "df", "-v"}},
		} {
			ours, theirs, err := compare(pair[0], pair[1], runs, warmEnv)
			if err != nil {
				return err
			}
			printRow("dockctl "+strings.Join(pair[0][1:3], " "), strings.Join(pair[1], " "), ours, theirs)
		}
	}
	if doCold {
		// Warm and cold layer cache interleaved: the cold side gets a
		// fresh cache dir every run.
		var warm, cold []time.Duration
		for i := 0; i < runs; i++ {
			d, err := timedEnv([]string{bin, "report", "--no-explain"}, coldEnv())
			if err != nil {
				return err
			}
			cold = append(cold, d)
			if d, err = timedEnv([]string{bin, "report", "--no-explain"}, warmEnv); err != nil {
				return err
			}
			warm = append(warm, d)
		}
		printRow("dockctl report (warm cache)", "dockctl report (cold cache)", warm, cold)
	}
	if doCount {
		// One more run of each dockctl command through a proxy that
		// counts the engine requests (untimed: the proxy adds its own
		// latency).
		rec, err := newRecorder(tmp)
		if err != nil {
			return err
		}
		defer rec.srv.Close()
		counted := []struct {
			name string
			cmd  []string
			env  []string
		}{
			{"dockctl report, warm cache", []string{bin, "report", "--no-explain"}, warmEnv},
			{"dockctl report, cold cache", []string{bin, "report", "--no-explain"}, coldEnv()},
			{"dockctl report -v, warm cache", []string{bin, "report", "-v", "--no-explain"}, warmEnv},
			{"dockctl report --no-disk, warm cache", []string{bin, "report", "--no-disk", "--no-explain"}, warmEnv},
			{"dockctl inspect images, warm cache", []string{bin, "inspect", "images", "--no-explain"}, warmEnv},
			{"dockctl inspect networks", []string{bin, "inspect", "networks", "--no-explain"}, warmEnv},
			{"dockctl inspect containers", []string{bin, "inspect", "containers", "--no-explain"}, warmEnv},
			{"dockctl inspect volumes", []string{bin, "inspect", "volumes", "--no-explain"}, warmEnv},
			{"dockctl prune --dry-run, warm cache", dryRun, warmEnv},
		}
		for _, c := range counted {
			rec.take()
			// A count that fails (another client's df keeping a 20.10
			// engine busy) is reported, not fatal: the timings are out.
			if err := timeCmdEnv(c.cmd, io.Discard, append(c.env, "DOCKER_HOST="+rec.host)); err != nil {
				fmt.Printf("%s: failed: %s\n", c.name, firstLine(err.Error()))
				rec.take()
				continue
			}
			fmt.Printf("%s: %s\n", c.name, rec.take())
		}
	}

	if doPrune {
		if err := benchPrune(ctx, c, bin, docker, runID, nImages, nContainers, nVolumes, pruneRuns); err != nil {
			return err
		}
	}
	return nil
}

// compare times a and b interleaved, runs times each, after one warm-up
// run of each (which also fills dockctl's layer cache, as any second run
// finds it).
func compare(a, b []string, runs int, env []string) (ours, theirs []time.Duration, err error) {
	for _, cmd := range [][]string{a, b} {
		if err := timeCmdEnv(cmd, nil, env); err != nil {
			return nil, nil, err
		}
	}
	for i := 0; i < runs; i++ {
		for _, side := range []struct {
			cmd []string
			out *[]time.Duration
		}{{a, &ours}, {b, &theirs}} {
			d, err := timedEnv(side.cmd, env)
			if err != nil {
				return nil, nil, err
			}
			*side.out = append(*side.out, d)
		}
	}
	return ours, theirs, nil
}

func printRow(a, b string, ours, theirs []time.Duration) {
	mo, mt := median(ours), median(theirs)
	fmt.Printf("| %s | %s | %s | %s | %.2f |\n", a, mo.Round(time.Millisecond), b, mt.Round(time.Millisecond), float64(mo)/float64(mt))
}

// benchPrune recreates the same removable set before every run of each
// side, so both prune identical environments.
func benchPrune(ctx context.Context, c *client.Client, bin, docker, runID string, nImages, nContainers, nVolumes, runs int) error {
	var ours, theirs []time.Duration
	for i := 0; i < runs; i++ {
		for _, side := range []string{"dockctl", "docker"} {
			prefix := fmt.Sprintf("p%d%s", i, side[:2])
			if _, err := populate(ctx, c, runID, prefix, nImages, nContainers, nVolumes); err != nil {
				return err
			}
			scope := label + "=" + runID
			var cmd []string
			if side == "dockctl" {
				cmd = []string{bin, "prune", "--yes", "--all", "--volumes", "--all-volumes", "--no-explain", "--filter", "label=" + scope}
				d, err := timed(cmd)
				if err != nil {
					return err
				}
				ours = append(ours, d)
			} else {
				// docker system prune -af covers containers, networks, images
				// and build cache; --volumes adds (on API < 1.42, all) volumes.
				cmd = []string{docker, "system", "prune", "-af", "--volumes", "--filter", "label=" + scope}
				d, err := timed(cmd)
				if err != nil {
					return err
				}
				theirs = append(theirs, d)
			}
			cleanup(ctx, c, runID)
		}
	}
	printRow("dockctl prune --yes", "docker system prune -af", ours, theirs)
	return nil
}

func timed(cmd []string) (time.Duration, error) {
	return timedEnv(cmd, nil)
}

// timedEnv runs cmd with env (nil: this process's) and times it.
func timedEnv(cmd []string, env []string) (time.Duration, error) {
	start := time.Now()
	err := timeCmdEnv(cmd, io.Discard, env)
	return time.Since(start), err
}

func timeCmdEnv(cmd []string, out io.Writer, env []string) error {
	if out == nil {
		out = io.Discard
	}
	var stderr bytes.Buffer
	x := exec.Command(cmd[0], cmd[1:]...)
	x.Env = env
	x.Stdout, x.Stderr = out, &stderr
	if err := x.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(cmd, " "), err, stderr.String())
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// populate creates images (each one small distinct layer), stopped
// containers spread over them, and volumes, concurrently.
func populate(ctx context.Context, c *client.Client, runID, prefix string, nImages, nContainers, nVolumes int) (int, error) {
	labels := map[string]string{label: runID}
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	parallel := func(n int, f func(i int) error) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i := 0; i < n; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				if err := f(i); err != nil {
					fail(err)
				}
			}(i)
		}
		wg.Wait()
	}
	refs := make([]string, nImages)
	parallel(nImages, func(i int) error {
		ref := fmt.Sprintf("dockctl-bench-%s/%s-img:%d", runID, prefix, i)
		refs[i] = ref
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		data := make([]byte, 4096)
		rand.Read(data)
		tw.WriteHeader(&tar.Header{Name: "data", Mode: 0o644, Size: int64(len(data))})
		tw.Write(data)
		tw.Close()
		rc, err := c.ImageImport(ctx, image.ImportSource{Source: &buf, SourceName: "-"}, ref, image.ImportOptions{
			Changes: []string{"LABEL " + label + "=" + runID, `CMD ["/data"]`},
		})
		if err != nil {
			return fmt.Errorf("importing image: %w", err)
		}
		io.Copy(io.Discard, rc)
		return rc.Close()
	})
	if firstErr != nil {
		return 0, firstErr
	}
	parallel(nContainers, func(i int) error {
		_, err := c.ContainerCreate(ctx, &container.Config{Image: refs[i%len(refs)], Labels: labels}, nil, nil, nil,
			fmt.Sprintf("dockctl-bench-%s-%s-c%d", runID, prefix, i))
		return err
	})
	parallel(nVolumes, func(i int) error {
		_, err := c.VolumeCreate(ctx, volume.CreateOptions{Name: fmt.Sprintf("dockctl-bench-%s-%s-v%d", runID, prefix, i), Labels: labels})
		return err
	})
	return nImages + nContainers + nVolumes, firstErr
}

// cleanup removes only what carries this run's label.
func cleanup(ctx context.Context, c *client.Client, runID string) {
	f := filters.NewArgs(filters.Arg("label", label+"="+runID))
	if cs, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: f}); err == nil {
		for _, ct := range cs {
			c.ContainerRemove(ctx, ct.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	if vs, err := c.VolumeList(ctx, volume.ListOptions{Filters: f}); err == nil {
		for _, v := range vs.Volumes {
			c.VolumeRemove(ctx, v.Name, true)
		}
	}
	if is, err := c.ImageList(ctx, image.ListOptions{All: true, Filters: f}); err == nil {
		for _, im := range is {
			c.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
