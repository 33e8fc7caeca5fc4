package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
)

// Sizes says how much one generated engine holds.
type Sizes struct {
	Images, Containers, Volumes, BuildCache int
	// Catalogue is how many distinct images the whole fleet draws from:
	// CI runners pull the same images, so engines share image ids (and
	// dockctl's layer cache, keyed by image id, is shared between them).
	Catalogue int
}

// catalogue is the images the fleet draws from, with their layers.
type catalogue struct {
	images []catImage
	// inspect and history are each image's pre-encoded answers.
	inspect, history map[string][]byte
}

type catImage struct {
	id      string
	tag     string
	created int64
	diffIDs []string
	sizes   []int64 // per layer, oldest first
}

func digestOf(parts ...any) string {
	h := sha256.Sum256(fmt.Append(nil, parts...))
	return "sha256:" + hex.EncodeToString(h[:])
}

// newCatalogue makes n images on a few shared bases (an OS layer and a
// runtime or two), each with its own top layers, deterministic from seed.
func newCatalogue(seed uint64, n int) (*catalogue, error) {
	r := rand.New(rand.NewPCG(seed, 1))
	const nBases = 8
	bases := make([][]catImage, 0, nBases)
	for b := range nBases {
		var layers []catImage
		depth := 2 + r.IntN(3)
		for l := range depth {
			layers = append(layers, catImage{diffIDs: []string{digestOf("base", seed, b, l)}, sizes: []int64{int64(5+r.IntN(60)) << 20}})
		}
		bases = append(bases, layers)
	}
	c := &catalogue{inspect: map[string][]byte{}, history: map[string][]byte{}}
	names := []string{"api", "web", "worker", "builder", "postgres", "redis", "node", "golang", "python", "nginx"}
	for i := range n {
		base := bases[r.IntN(nBases)]
		img := catImage{
			id:      digestOf("image", seed, i),
			tag:     fmt.Sprintf("registry.example/%s:%d", names[i%len(names)], i),
			created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(300*24)) * time.Hour).Unix(),
		}
		for _, l := range base {
			img.diffIDs = append(img.diffIDs, l.diffIDs[0])
			img.sizes = append(img.sizes, l.sizes[0])
		}
		for l := range 1 + r.IntN(4) {
			img.diffIDs = append(img.diffIDs, digestOf("own", seed, i, l))
			img.sizes = append(img.sizes, int64(r.IntN(200))<<20+int64(r.IntN(1<<20)))
		}
		c.images = append(c.images, img)

		ins := image.InspectResponse{
			ID: img.id, RepoTags: []string{img.tag}, Created: time.Unix(img.created, 0).UTC().Format(time.RFC3339Nano),
			Os: "linux", Architecture: "amd64", Size: sum(img.sizes),
			RootFS:   image.RootFS{Type: "layers", Layers: img.diffIDs},
			Metadata: image.Metadata{LastTagTime: time.Unix(img.created, 0)},
		}
		// History: newest first; a metadata step (no layer) on top, as
		// docker build writes CMD.
		hist := []image.HistoryResponseItem{{ID: img.id, Created: img.created, CreatedBy: `/bin/sh -c #(nop)  CMD ["run"]`, Size: 0}}
		for l := len(img.sizes) - 1; l >= 0; l-- {
			hist = append(hist, image.HistoryResponseItem{ID: "<missing>", Created: img.created, CreatedBy: fmt.Sprintf("/bin/sh -c step %d", l), Size: img.sizes[l]})
		}
		var err error
		if c.inspect[img.id], err = json.Marshal(ins); err != nil {
			return nil, err
		}
		if c.history[img.id], err = json.Marshal(hist); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func sum(s []int64) int64 {
	var t int64
	for _, v := range s {
		t += v
	}
	return t
}

// fakeEngine is one engine's pre-encoded answers.
type fakeEngine struct {
	answers map[string][]byte
	cat     *catalogue
	latency time.Duration
	images  map[string]bool
}

// newEngine generates engine i of the fleet: its own ID and name (so
// dockctl does not take two of them for one engine), images drawn from
// the catalogue, containers over them (a quarter running), volumes (some
// anonymous, some in use), build cache records and networks.
func newEngine(i int, seed uint64, sz Sizes, cat *catalogue, latency time.Duration) (*fakeEngine, error) {
	r := rand.New(rand.NewPCG(seed, uint64(i)+2))
	name := fmt.Sprintf("fleet-%03d", i)
	id := strings.ToUpper(strings.TrimPrefix(digestOf("engine", seed, i), "sha256:")[:48])
	created := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	picked := r.Perm(len(cat.images))[:min(sz.Images, len(cat.images))]
	imgs := make([]catImage, len(picked))
	for k, p := range picked {
		imgs[k] = cat.images[p]
	}
	layerUse := map[string]int{}
	layerSize := map[string]int64{}
	for _, img := range imgs {
		for l, d := range img.diffIDs {
			layerUse[d]++
			layerSize[d] = img.sizes[l]
		}
	}
	var layersSize int64
	for _, s := range layerSize {
		layersSize += s
	}

	vols := make([]*volume.Volume, sz.Volumes)
	for v := range vols {
		vname := fmt.Sprintf("%s_data_%d", name, v)
		labels := map[string]string{}
		if v%3 == 0 {
			vname = strings.TrimPrefix(digestOf("vol", seed, i, v), "sha256:") // anonymous
		} else {
			labels["com.docker.compose.project"] = fmt.Sprintf("proj%d", v%4)
		}
		vols[v] = &volume.Volume{
			Name: vname, Driver: "local", Scope: "local", Labels: labels,
			Mountpoint: "/var/lib/docker/volumes/" + vname + "/_data",
			CreatedAt:  created.Add(time.Duration(v) * time.Hour).Format(time.RFC3339),
			UsageData:  &volume.UsageData{Size: int64(r.IntN(500)) << 20, RefCount: 0},
		}
	}

	containerCount := map[string]int64{}
	ctrs := make([]*container.Summary, sz.Containers)
	for c := range ctrs {
		img := imgs[r.IntN(len(imgs))]
		containerCount[img.id]++
		state, status := container.StateExited, "Exited (0) 3 days ago"
		if c%4 == 0 {
			state, status = container.StateRunning, "Up 2 hours"
		}
		s := &container.Summary{
			ID:         strings.TrimPrefix(digestOf("ctr", seed, i, c), "sha256:"),
			Names:      []string{fmt.Sprintf("/%s-job-%d", name, c)},
			Image:      img.tag,
			ImageID:    img.id,
			Command:    "run",
			Created:    created.Add(time.Duration(c) * time.Minute).Unix(),
			SizeRw:     int64(r.IntN(50)) << 20,
			SizeRootFs: sum(img.sizes),
			State:      state,
			Status:     status,
			Labels:     map[string]string{"com.docker.compose.project": fmt.Sprintf("proj%d", c%4)},
			NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
				fmt.Sprintf("proj%d_default", c%4): {NetworkID: digestOf("net", seed, i, c%4)[7:]},
			}},
		}
		if len(vols) > 0 && c%2 == 0 {
			v := vols[r.IntN(len(vols))]
			s.Mounts = []container.MountPoint{{Type: "volume", Name: v.Name, Destination: "/data", Driver: "local", RW: true}}
			v.UsageData.RefCount++
		}
		ctrs[c] = s
	}

	dfImages := make([]*image.Summary, len(imgs))
	for k, img := range imgs {
		var shared int64
		for l, d := range img.diffIDs {
			if layerUse[d] > 1 {
				shared += img.sizes[l]
			}
		}
		dfImages[k] = &image.Summary{
			ID: img.id, RepoTags: []string{img.tag}, RepoDigests: []string{},
			Created: img.created, Size: sum(img.sizes), SharedSize: shared,
			Containers: containerCount[img.id], Labels: map[string]string{},
		}
	}
	cache := make([]*build.CacheRecord, sz.BuildCache)
	for b := range cache {
		used := created.Add(time.Duration(b) * time.Hour)
		cache[b] = &build.CacheRecord{
			ID: strings.TrimPrefix(digestOf("cache", seed, i, b), "sha256:")[:25], Type: "regular",
			Description: fmt.Sprintf("mount / from exec /bin/sh -c step %d", b),
			Size:        int64(r.IntN(300)) << 20, CreatedAt: used, LastUsedAt: &used, UsageCount: 1 + b%5,
			Shared: b%7 == 0,
		}
	}
	nets := []network.Summary{
		{Name: "bridge", ID: digestOf("bridge", seed, i)[7:], Driver: "bridge", Scope: "local"},
		{Name: "host", ID: digestOf("host", seed, i)[7:], Driver: "host", Scope: "local"},
		{Name: "none", ID: digestOf("none", seed, i)[7:], Driver: "null", Scope: "local"},
	}
	for p := range 4 {
		nets = append(nets, network.Summary{Name: fmt.Sprintf("proj%d_default", p), ID: digestOf("net", seed, i, p)[7:], Driver: "bridge", Scope: "local",
			Labels: map[string]string{"com.docker.compose.project": fmt.Sprintf("proj%d", p)}})
	}
	lists := make([]image.Summary, len(dfImages))
	for k, s := range dfImages {
		lists[k] = *s
		lists[k].SharedSize = -1
		lists[k].Containers = -1
	}
	ctrList := make([]container.Summary, len(ctrs))
	for k, s := range ctrs {
		ctrList[k] = *s
		ctrList[k].SizeRw, ctrList[k].SizeRootFs = 0, 0
	}
	running := sz.Containers / 4
	answers := map[string]any{
		"/version": types.Version{Version: "20.10.24", APIVersion: "1.41", MinAPIVersion: "1.12", Os: "linux", Arch: "amd64", KernelVersion: "6.1.0"},
		"/info": system.Info{
			ID: id, Name: name, ServerVersion: "20.10.24", Driver: "overlay2",
			// A root dir that is not on this machine: dockctl measures the
			// filesystem only where it can see it.
			DockerRootDir: "/nonexistent/dockctl-fleet-bench/" + name,
			Containers:    sz.Containers, ContainersRunning: running, ContainersStopped: sz.Containers - running,
			Images: len(imgs), OperatingSystem: "Debian GNU/Linux 12", OSType: "linux", Architecture: "x86_64", NCPU: 4, MemTotal: 8 << 30,
		},
		"/system/df":       types.DiskUsage{LayersSize: layersSize, Images: dfImages, Containers: ctrs, Volumes: vols, BuildCache: cache},
		"/volumes":         volume.ListResponse{Volumes: vols, Warnings: []string{}},
		"/networks":        nets,
		"/images/json":     lists,
		"/containers/json": ctrList,
	}
	e := &fakeEngine{answers: map[string][]byte{}, cat: cat, latency: latency, images: map[string]bool{}}
	for path, v := range answers {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", path, err)
		}
		e.answers[path] = b
	}
	for _, img := range imgs {
		e.images[img.id] = true
	}
	return e, nil
}

var versioned = regexp.MustCompile(`^/v[0-9]+\.[0-9]+(/.*)$`)

// ServeHTTP answers the requests dockctl report makes, after the
// engine's latency. Anything else is a 404, as an engine answers an
// unknown path; dockctl only reads, so a write method is refused.
func (e *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(e.latency)
	path := r.URL.Path
	if m := versioned.FindStringSubmatch(path); m != nil {
		path = m[1]
	}
	w.Header().Set("Api-Version", "1.41")
	w.Header().Set("Ostype", "linux")
	w.Header().Set("Server", "Docker/20.10.24 (linux)")
	if path == "/_ping" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK"))
		return
	}
	if r.Method != http.MethodGet {
		httpError(w, http.StatusMethodNotAllowed, "the fleet benchmark's engine only reads")
		return
	}
	body, ok := e.answers[path]
	if !ok {
		if id, kind, found := strings.Cut(strings.TrimPrefix(path, "/images/"), "/"); found && strings.HasPrefix(path, "/images/") && e.images[id] {
			switch kind {
			case "json":
				body, ok = e.cat.inspect[id], true
			case "history":
				body, ok = e.cat.history[id], true
			}
		}
	}
	if !ok {
		httpError(w, http.StatusNotFound, "page not found: "+path)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// hungListener accepts connections and never answers them: an engine
// whose daemon is wedged (the socket is there, nothing replies).
type hungListener struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (h *hungListener) serve() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.conns = append(h.conns, c)
		h.mu.Unlock()
	}
}

func (h *hungListener) Close() error {
	err := h.ln.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		_ = c.Close()
	}
	return err
}
