package integration

// Acceptance test of `dockctl inspect`: one end-to-end path per kind
// against the real engine, compared with what the docker CLI (or, without
// it, the Go client) says about the same objects. Only the objects of this
// run and this test are looked at (scopeFilters).

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/go-units"
)

// The JSON dockctl prints for `inspect --format json`, with the item
// fields of inspect/model.go this test checks.
type inspectDoc[T any] struct {
	Schema  string            `json:"schema"`
	Kind    string            `json:"kind"`
	Explain []json.RawMessage `json:"explain"`
	Items   []T               `json:"items"`
}

type imageItem struct {
	ID          string            `json:"id"`
	Tags        []string          `json:"tags"`
	Labels      map[string]string `json:"labels"`
	SizeBytes   int64             `json:"size_bytes"`
	SharedBytes int64             `json:"shared_bytes"`
	UniqueBytes int64             `json:"unique_bytes"`
	Containers  int               `json:"containers"`
	Dangling    bool              `json:"dangling"`
}

type containerItem struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Image       string   `json:"image"`
	ImageID     string   `json:"image_id"`
	State       string   `json:"state"`
	SizeBytes   int64    `json:"size_bytes"`
	RootFSBytes int64    `json:"root_fs_bytes"`
	Volumes     []string `json:"volumes"`
	Networks    []string `json:"networks"`
}

type volumeItem struct {
	Name       string   `json:"name"`
	Driver     string   `json:"driver"`
	SizeBytes  int64    `json:"size_bytes"`
	RefCount   int      `json:"ref_count"`
	Containers []string `json:"containers"`
	Anonymous  bool     `json:"anonymous"`
}

type networkItem struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Driver     string   `json:"driver"`
	Containers []string `json:"containers"`
	Builtin    bool     `json:"builtin"`
}

// Keys every item of a kind must have in the JSON (a renamed tag would
// otherwise decode as a silent zero).
var requiredItemKeys = map[string][]string{
	"images":     {"id", "tags", "size_bytes", "shared_bytes", "unique_bytes", "containers", "dangling", "labels", "created"},
	"containers": {"id", "name", "image", "image_id", "state", "status", "size_bytes", "root_fs_bytes", "volumes", "networks", "labels", "created"},
	"volumes":    {"name", "driver", "size_bytes", "ref_count", "containers", "anonymous", "labels"},
	"networks":   {"id", "name", "driver", "scope", "containers", "builtin", "labels"},
}

// inspectWorld is what TestInspect builds: every kind of object, in the
// shapes a disk cleaner has to tell apart.
type inspectWorld struct {
	baseRef, aRef, aExtraRef, bRef string
	base, appA, appB, appBOld      string // image ids; appBOld is dangling

	webName, jobName string
	web, job         string // container ids: web runs, job exited

	data, spare, anon string // volumes: data mounted by web and job; spare named, unused; anon 64-hex, unused

	frontName, backName string
	front, back         string // network ids: web is on front; back is empty
}

const (
	webWrites = 4 << 10
	jobWrites = 8 << 10
)

func buildInspectWorld(t *testing.T) *inspectWorld {
	w := &inspectWorld{
		baseRef:   imageRef("base", "1"),
		aRef:      imageRef("app-a", "1"),
		aExtraRef: imageRef("app-a", "extra"),
		bRef:      imageRef("app-b", "1"),
		webName:   objName("web"),
		jobName:   objName("job"),
		frontName: objName("front"),
		backName:  objName("back"),
	}
	w.base = importImage(t, w.baseRef, map[string][]byte{"/opt/base.bin": randomBytes(t, 64<<10)}, map[string]string{"role": "base"})
	w.appA = buildImage(t, w.baseRef, w.aRef, map[string][]byte{"/opt/a.bin": randomBytes(t, 32<<10)}, map[string]string{"role": "app-a"})
	tagImage(t, w.appA, w.aExtraRef)
	// Build app-b twice under one tag: the first build loses its tag.
	w.appBOld = buildImage(t, w.baseRef, w.bRef, map[string][]byte{"/opt/b.bin": randomBytes(t, 16<<10)}, map[string]string{"role": "app-b"})
	w.appB = buildImage(t, w.baseRef, w.bRef, map[string][]byte{"/opt/b.bin": randomBytes(t, 24<<10)}, map[string]string{"role": "app-b"})

	w.data = createVolume(t, objName("data"), nil)
	w.spare = createVolume(t, objName("spare"), nil)
	w.anon = createVolume(t, "", nil)

	w.front = createNetwork(t, w.frontName, nil)
	w.back = createNetwork(t, w.backName, nil)

	w.web = createContainer(t, w.aRef, w.webName, containerOpts{
		State:      stateRunning,
		WriteBytes: webWrites,
		Network:    w.frontName,
		Mounts:     []mount.Mount{{Type: mount.TypeVolume, Source: w.data, Target: "/data"}},
	})
	w.job = createContainer(t, w.bRef, w.jobName, containerOpts{
		State:      stateExited,
		WriteBytes: jobWrites,
		Binds:      []string{w.data + ":/vol"},
	})
	return w
}

func TestInspect(t *testing.T) {
	c := requireEngine(t)
	w := buildInspectWorld(t)
	scope := filterFlags(scopeFilters(t))
	scopeAPI := scopeArgs(t) // the objects of this test, not of its subtests
	ctx := testContext(t, fixtureTimeout)

	// The engine's own sizes, read after every fixture is in place.
	du := diskUsage(t)
	cliDF, haveCLI := cliSystemDF(t)
	if !haveCLI {
		t.Log("no docker CLI found: comparing with the Go client's ImageList/ContainerList/VolumeList/NetworkList/DiskUsage instead")
	}

	t.Run("images", func(t *testing.T) {
		doc := inspectJSON[imageItem](t, "images", scope)
		got := map[string]imageItem{}
		for _, it := range doc.Items {
			if _, dup := got[it.ID]; dup {
				t.Errorf("image %s listed twice", it.ID)
			}
			got[it.ID] = it
		}

		// What docker lists: id → tags.
		want := map[string][]string{}
		if out, ok := dockerCLI(t, append([]string{"image", "ls", "--no-trunc", "--format", "json"}, scope...)...); ok {
			for _, r := range jsonLines[struct{ ID, Repository, Tag string }](t, out) {
				tags := want[r.ID]
				if r.Repository != "<none>" && r.Tag != "<none>" {
					tags = append(tags, r.Repository+":"+r.Tag)
				}
				want[r.ID] = nonNil(tags)
			}
		} else {
			list, err := c.ImageList(ctx, image.ListOptions{Filters: scopeAPI})
			if err != nil {
				t.Fatalf("ImageList: %v", err)
			}
			for _, s := range list {
				var tags []string
				for _, tag := range s.RepoTags {
					if tag != "<none>:<none>" {
						tags = append(tags, tag)
					}
				}
				want[s.ID] = nonNil(tags)
			}
		}
		// The fixture must have made what this test thinks it made.
		fixture := map[string][]string{
			w.base: {w.baseRef}, w.appA: {w.aRef, w.aExtraRef}, w.appB: {w.bRef}, w.appBOld: {},
		}
		compareTagSets(t, "docker image ls vs the fixture (engine/fixture problem, not dockctl)", fixture, want)

		gotTags := map[string][]string{}
		for id, it := range got {
			gotTags[id] = nonNil(it.Tags)
		}
		compareTagSets(t, "dockctl vs docker image ls", want, gotTags)

		dfImages := map[string]*image.Summary{}
		for _, s := range du.Images {
			if s != nil {
				dfImages[s.ID] = s
			}
		}
		for id, it := range got {
			if !strings.HasPrefix(id, "sha256:") || len(id) != len("sha256:")+64 {
				t.Errorf("image id %q is not a full sha256:… id", id)
			}
			if it.Dangling != (len(want[id]) == 0) {
				t.Errorf("image %s: dangling=%v, want %v (tags %v)", short(id), it.Dangling, len(want[id]) == 0, want[id])
			}
			if !ours(it.Labels) {
				t.Errorf("image %s: labels %v lack %s=%s", short(id), it.Labels, runLabel, runID)
			}
			s := dfImages[id]
			if s == nil {
				t.Errorf("image %s: not in the engine's /system/df", short(id))
				continue
			}
			check := func(field string, got, want int64) {
				if got != want {
					t.Errorf("image %s %s: dockctl %d, docker system df -v %d", short(id), field, got, want)
				}
			}
			check("size_bytes", it.SizeBytes, s.Size)
			check("shared_bytes", it.SharedBytes, s.SharedSize)
			check("unique_bytes", it.UniqueBytes, s.Size-s.SharedSize)
			check("containers", int64(it.Containers), s.Containers)
			if row, ok := cliDF.image(id); haveCLI && ok {
				if h := units.HumanSize(float64(it.SharedBytes)); row.SharedSize != h {
					t.Errorf("image %s shared: docker system df -v says %s, dockctl %d bytes (%s)", short(id), row.SharedSize, it.SharedBytes, h)
				}
				if h := units.HumanSize(float64(it.UniqueBytes)); row.UniqueSize != h {
					t.Errorf("image %s unique: docker system df -v says %s, dockctl %d bytes (%s)", short(id), row.UniqueSize, it.UniqueBytes, h)
				}
				if row.Containers != strconv.Itoa(it.Containers) {
					t.Errorf("image %s containers: docker system df -v says %s, dockctl %d", short(id), row.Containers, it.Containers)
				}
			} else if haveCLI {
				t.Errorf("image %s: not in docker system df -v", short(id))
			}
		}

		// The sharing the fixture was built for: every image holds the
		// base layer, which is therefore shared; each build adds its own.
		// On the containerd image store the base's manifest and config
		// are its own, never shared (store_test.go).
		e := engineUnderTest(t)
		if b, ok := got[w.base]; ok {
			var baseMeta int64
			if e.Containerd {
				baseMeta = readStoredImage(t, w.base).meta()
			}
			if b.SizeBytes <= 64<<10 || b.SharedBytes != b.SizeBytes-baseMeta || b.UniqueBytes != baseMeta {
				t.Errorf("base image on the %s: size %d shared %d unique %d; want size > 64KiB, all of it shared but its own manifest and config (%d)", e.store(), b.SizeBytes, b.SharedBytes, b.UniqueBytes, baseMeta)
			}
			for _, id := range []string{w.appA, w.appB, w.appBOld} {
				if it, ok := got[id]; ok && (it.SharedBytes < b.SizeBytes-baseMeta || it.UniqueBytes < 16<<10) {
					t.Errorf("image %s on the %s: shared %d unique %d; want shared ≥ the base's %d and unique ≥ 16KiB", short(id), e.store(), it.SharedBytes, it.UniqueBytes, b.SizeBytes-baseMeta)
				}
			}
		}
		for id, n := range map[string]int{w.base: 0, w.appA: 1, w.appB: 1, w.appBOld: 0} {
			if it, ok := got[id]; ok && it.Containers != n {
				t.Errorf("image %s: containers %d, want %d", short(id), it.Containers, n)
			}
		}
	})

	t.Run("containers", func(t *testing.T) {
		doc := inspectJSON[containerItem](t, "containers", scope)
		got := map[string]containerItem{}
		for _, it := range doc.Items {
			got[it.ID] = it
		}
		type row struct{ Name, State string }
		want := map[string]row{}
		if out, ok := dockerCLI(t, append([]string{"ps", "-a", "--no-trunc", "--format", "json"}, scope...)...); ok {
			for _, r := range jsonLines[struct{ ID, Names, State string }](t, out) {
				want[r.ID] = row{r.Names, r.State}
			}
		} else {
			list, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: scopeAPI})
			if err != nil {
				t.Fatalf("ContainerList: %v", err)
			}
			for _, s := range list {
				want[s.ID] = row{strings.TrimPrefix(s.Names[0], "/"), string(s.State)}
			}
		}
		fixture := map[string]row{w.web: {w.webName, "running"}, w.job: {w.jobName, "exited"}}
		if !equalMaps(fixture, want) {
			t.Fatalf("docker ps -a lists %v, the fixture made %v (engine/fixture problem, not dockctl)", want, fixture)
		}
		gotRows := map[string]row{}
		for id, it := range got {
			gotRows[id] = row{it.Name, it.State}
		}
		if !equalMaps(want, gotRows) {
			t.Errorf("dockctl lists (id → name, state)\n  %v\ndocker ps -a lists\n  %v", gotRows, want)
		}

		dfContainers := map[string]*container.Summary{}
		for _, s := range du.Containers {
			if s != nil {
				dfContainers[s.ID] = s
			}
		}
		for id, it := range got {
			s := dfContainers[id]
			if s == nil {
				t.Errorf("container %s: not in the engine's /system/df", short(id))
				continue
			}
			if it.SizeBytes != s.SizeRw {
				t.Errorf("container %s size_bytes (writable layer): dockctl %d, docker system df -v %d", it.Name, it.SizeBytes, s.SizeRw)
			}
			if it.RootFSBytes != s.SizeRootFs {
				t.Errorf("container %s root_fs_bytes: dockctl %d, docker system df -v %d", it.Name, it.RootFSBytes, s.SizeRootFs)
			}
			if it.ImageID != s.ImageID {
				t.Errorf("container %s image_id: dockctl %s, engine %s", it.Name, it.ImageID, s.ImageID)
			}
			if row, ok := cliDF.container(id); haveCLI && ok {
				if h := units.HumanSizeWithPrecision(float64(it.SizeBytes), 3); !strings.HasPrefix(row.Size, h) {
					t.Errorf("container %s size: docker system df -v says %s, dockctl %d bytes (%s)", it.Name, row.Size, it.SizeBytes, h)
				}
			} else if haveCLI {
				t.Errorf("container %s: not in docker system df -v", it.Name)
			}
		}
		checkContainer := func(id, img string, minSize int64, volumes, networks []string) {
			it, ok := got[id]
			if !ok {
				return
			}
			if it.SizeBytes < minSize {
				t.Errorf("container %s: writable layer %d bytes, but %d were written into it", it.Name, it.SizeBytes, minSize)
			}
			if it.ImageID != img {
				t.Errorf("container %s: image_id %s, want %s", it.Name, it.ImageID, img)
			}
			if !equalSlices(nonNil(it.Volumes), volumes) {
				t.Errorf("container %s: volumes %v, want %v", it.Name, it.Volumes, volumes)
			}
			if !equalSlices(nonNil(it.Networks), networks) {
				t.Errorf("container %s: networks %v, want %v", it.Name, it.Networks, networks)
			}
		}
		checkContainer(w.web, w.appA, webWrites, []string{w.data}, []string{w.frontName})
		checkContainer(w.job, w.appB, jobWrites, []string{w.data}, []string{"bridge"})
	})

	t.Run("volumes", func(t *testing.T) {
		doc := inspectJSON[volumeItem](t, "volumes", scope)
		got := map[string]volumeItem{}
		for _, it := range doc.Items {
			got[it.Name] = it
		}
		var want []string
		if out, ok := dockerCLI(t, append([]string{"volume", "ls", "--format", "json"}, scope...)...); ok {
			for _, r := range jsonLines[struct{ Name string }](t, out) {
				want = append(want, r.Name)
			}
		} else {
			vl, err := c.VolumeList(ctx, volume.ListOptions{Filters: scopeAPI})
			if err != nil {
				t.Fatalf("VolumeList: %v", err)
			}
			for _, v := range vl.Volumes {
				want = append(want, v.Name)
			}
		}
		sort.Strings(want)
		fixture := []string{w.data, w.spare, w.anon}
		sort.Strings(fixture)
		if !equalSlices(want, fixture) {
			t.Fatalf("docker volume ls lists %v, the fixture made %v (engine/fixture problem, not dockctl)", want, fixture)
		}
		if names := sortedKeys(got); !equalSlices(names, want) {
			t.Errorf("dockctl lists volumes %v, docker volume ls %v", names, want)
		}

		dfVolumes := map[string]*volume.Volume{}
		for _, v := range du.Volumes {
			if v != nil {
				dfVolumes[v.Name] = v
			}
		}
		for name, it := range got {
			// Who mounts it, asked of the engine (any container, any state).
			users, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("volume", name))})
			if err != nil {
				t.Fatalf("ContainerList volume=%s: %v", name, err)
			}
			var userNames []string
			for _, u := range users {
				userNames = append(userNames, strings.TrimPrefix(u.Names[0], "/"))
			}
			sort.Strings(userNames)
			if it.RefCount != len(users) || !equalSlices(nonNil(it.Containers), nonNil(userNames)) {
				t.Errorf("volume %s: dockctl ref_count %d containers %v; docker ps -a --filter volume=%s lists %v", name, it.RefCount, it.Containers, name, userNames)
			}
			if v := dfVolumes[name]; v == nil || v.UsageData == nil {
				t.Errorf("volume %s: not sized in the engine's /system/df", name)
			} else {
				if int64(it.RefCount) != v.UsageData.RefCount {
					t.Errorf("volume %s ref_count: dockctl %d, docker system df -v links %d", name, it.RefCount, v.UsageData.RefCount)
				}
				if it.SizeBytes != v.UsageData.Size {
					t.Errorf("volume %s size_bytes: dockctl %d, docker system df -v %d", name, it.SizeBytes, v.UsageData.Size)
				}
			}
			if row, ok := cliDF.volume(name); haveCLI && ok {
				if row.Links != strconv.Itoa(it.RefCount) {
					t.Errorf("volume %s: docker system df -v links %s, dockctl ref_count %d", name, row.Links, it.RefCount)
				}
			} else if haveCLI {
				t.Errorf("volume %s: not in docker system df -v", name)
			}
		}
		for name, want := range map[string]struct {
			refs      int
			anonymous bool
		}{w.data: {2, false}, w.spare: {0, false}, w.anon: {0, true}} {
			if it, ok := got[name]; ok && (it.RefCount != want.refs || it.Anonymous != want.anonymous) {
				t.Errorf("volume %s: ref_count %d anonymous %v, want %d %v", name, it.RefCount, it.Anonymous, want.refs, want.anonymous)
			}
		}
		if it, ok := got[w.data]; ok {
			users := []string{w.jobName, w.webName}
			sort.Strings(users)
			if !equalSlices(nonNil(it.Containers), users) {
				t.Errorf("volume %s: containers %v, want %v", w.data, it.Containers, users)
			}
		}
	})

	t.Run("networks", func(t *testing.T) {
		doc := inspectJSON[networkItem](t, "networks", scope)
		got := map[string]networkItem{}
		for _, it := range doc.Items {
			got[it.ID] = it
		}
		want := map[string]string{} // id → name
		if out, ok := dockerCLI(t, append([]string{"network", "ls", "--no-trunc", "--format", "json"}, scope...)...); ok {
			for _, r := range jsonLines[struct{ ID, Name string }](t, out) {
				want[r.ID] = r.Name
			}
		} else {
			nl, err := c.NetworkList(ctx, network.ListOptions{Filters: scopeAPI})
			if err != nil {
				t.Fatalf("NetworkList: %v", err)
			}
			for _, n := range nl {
				want[n.ID] = n.Name
			}
		}
		fixture := map[string]string{w.front: w.frontName, w.back: w.backName}
		if !equalMaps(fixture, want) {
			t.Fatalf("docker network ls lists %v, the fixture made %v (engine/fixture problem, not dockctl)", want, fixture)
		}
		gotNames := map[string]string{}
		for id, it := range got {
			gotNames[id] = it.Name
		}
		if !equalMaps(want, gotNames) {
			t.Errorf("dockctl lists networks %v, docker network ls %v", gotNames, want)
		}
		for id, it := range got {
			n, err := c.NetworkInspect(ctx, id, network.InspectOptions{})
			if err != nil {
				t.Fatalf("NetworkInspect %s: %v", id, err)
			}
			if len(it.Containers) != len(n.Containers) {
				t.Errorf("network %s: dockctl counts %d attached container(s) %v, docker network inspect %d", it.Name, len(it.Containers), it.Containers, len(n.Containers))
			}
			if it.Builtin {
				t.Errorf("network %s: builtin=true for a network the test created", it.Name)
			}
		}
		if it, ok := got[w.front]; ok && !equalSlices(nonNil(it.Containers), []string{w.webName}) {
			t.Errorf("network %s: containers %v, want [%s]", w.frontName, it.Containers, w.webName)
		}
		if it, ok := got[w.back]; ok && len(it.Containers) != 0 {
			t.Errorf("network %s: containers %v, want none", w.backName, it.Containers)
		}
	})

	t.Run("quiet", func(t *testing.T) {
		cases := []struct {
			kind    string
			cli     []string // docker CLI listing the same ids; nil when it has no -q equivalent worth comparing
			want    []string
			noTrunc bool
		}{
			{"images", []string{"image", "ls", "-q"}, shortAll(w.base, w.appA, w.appB, w.appBOld), false},
			{"images", []string{"image", "ls", "-q", "--no-trunc"}, []string{w.base, w.appA, w.appB, w.appBOld}, true},
			{"containers", []string{"ps", "-a", "-q"}, shortAll(w.web, w.job), false},
			{"containers", []string{"ps", "-a", "-q", "--no-trunc"}, []string{w.web, w.job}, true},
			{"volumes", []string{"volume", "ls", "-q"}, []string{w.data, w.spare, w.anon}, false},
			{"networks", []string{"network", "ls", "-q"}, shortAll(w.front, w.back), false},
		}
		for _, tc := range cases {
			args := append([]string{"inspect", tc.kind, "-q"}, scope...)
			if tc.noTrunc {
				args = append(args, "--no-trunc")
			}
			out, errOut, code := runDockctl(t, args...)
			if code != 0 {
				t.Errorf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
				continue
			}
			got := lines(out)
			if !equalSlices(sorted(got), sorted(tc.want)) {
				t.Errorf("dockctl %s printed %q, want %q", strings.Join(args, " "), got, sorted(tc.want))
			}
			if cliOut, ok := dockerCLI(t, append(tc.cli, scope...)...); ok {
				if cliIDs := uniq(lines(cliOut)); !equalSlices(sorted(got), cliIDs) {
					t.Errorf("dockctl %s printed %q, docker %s printed %q", strings.Join(args, " "), got, strings.Join(tc.cli, " "), cliIDs)
				}
			}
		}
	})

	// A template that parses but names no field of the item fails on the
	// first item, before anything is written.
	t.Run("bad template field", func(t *testing.T) {
		args := append([]string{"inspect", "images", "--format", "{{.Nope}}"}, scope...)
		out, errOut, code := runDockctl(t, args...)
		if code != 2 {
			t.Errorf("dockctl %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, errOut)
		}
		if out != "" {
			t.Errorf("dockctl %s: stdout %q, want nothing", strings.Join(args, " "), out)
		}
		checkOneLine(t, errOut, "Nope")
	})

	t.Run("table", func(t *testing.T) {
		cases := []struct {
			kind   string
			header []string // the columns the header starts with
			keys   []string // what each row starts with
		}{
			{"images", []string{"IMAGE ID", "TAGS"}, shortAll(w.base, w.appA, w.appB, w.appBOld)},
			{"containers", []string{"CONTAINER ID", "NAME"}, shortAll(w.web, w.job)},
			{"volumes", []string{"VOLUME NAME"}, []string{w.data, w.spare, w.anon}},
			{"networks", []string{"NETWORK ID", "NAME"}, shortAll(w.front, w.back)},
		}
		for _, tc := range cases {
			for _, noExplain := range []bool{true, false} {
				args := append([]string{"inspect", tc.kind}, scope...)
				if noExplain {
					args = append(args, "--no-explain")
				}
				out, errOut, code := runDockctl(t, args...)
				if code != 0 {
					t.Errorf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
					continue
				}
				ls := strings.Split(strings.TrimRight(out, "\n"), "\n")
				if len(ls) < 1+len(tc.keys) {
					t.Errorf("dockctl %s printed %d lines, want a header and %d rows:\n%s", strings.Join(args, " "), len(ls), len(tc.keys), out)
					continue
				}
				if f := columns(ls[0]); !hasPrefixSlice(f, tc.header) {
					t.Errorf("dockctl %s: header %q, want it to start with %q", strings.Join(args, " "), ls[0], tc.header)
				}
				var rowKeys []string
				for _, l := range ls[1 : 1+len(tc.keys)] {
					rowKeys = append(rowKeys, strings.Fields(l)[0])
				}
				if !equalSlices(sorted(rowKeys), sorted(tc.keys)) {
					t.Errorf("dockctl %s: rows start with %q, want one row for each of %q:\n%s", strings.Join(args, " "), rowKeys, tc.keys, out)
				}
				rest := ls[1+len(tc.keys):]
				if noExplain && len(rest) > 0 {
					t.Errorf("dockctl %s: %d lines after the table, want none:\n%s", strings.Join(args, " "), len(rest), out)
				}
				if !noExplain && len(rest) > 0 && rest[0] != "" {
					t.Errorf("dockctl %s: line after the %d rows is %q; want the table to end there (then a blank line before any explanation):\n%s", strings.Join(args, " "), len(tc.keys), rest[0], out)
				}
			}
		}
	})
}

// inspectJSON runs `dockctl inspect KIND --format json` with the filters
// and checks the document's envelope and every item's keys.
func inspectJSON[T any](t *testing.T, kind string, scope []string) inspectDoc[T] {
	t.Helper()
	args := append([]string{"inspect", kind, "--format", "json"}, scope...)
	out, errOut, code := runDockctl(t, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	var raw struct {
		Schema  string                        `json:"schema"`
		Kind    string                        `json:"kind"`
		Explain *[]json.RawMessage            `json:"explain"`
		Items   *[]map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("dockctl %s: not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	if raw.Schema != "dockctl.inspect/v1" || raw.Kind != kind {
		t.Errorf("dockctl %s: schema %q kind %q, want dockctl.inspect/v1 and %s", strings.Join(args, " "), raw.Schema, raw.Kind, kind)
	}
	if raw.Explain == nil || len(*raw.Explain) == 0 {
		t.Errorf("dockctl %s: no \"explain\" entries", strings.Join(args, " "))
	}
	if raw.Items == nil {
		t.Fatalf("dockctl %s: no \"items\" array:\n%s", strings.Join(args, " "), out)
	}
	for i, it := range *raw.Items {
		for _, k := range requiredItemKeys[kind] {
			if _, ok := it[k]; !ok {
				t.Errorf("dockctl %s: item %d has no %q key", strings.Join(args, " "), i, k)
			}
		}
	}
	var doc inspectDoc[T]
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("dockctl %s: decoding items: %v", strings.Join(args, " "), err)
	}
	return doc
}

func TestInspectBadInput(t *testing.T) {
	requireEngine(t)
	cases := []struct {
		name  string
		args  []string
		value string // what the one stderr line must name
	}{
		{"kind", []string{"inspect", "nonsense"}, "nonsense"},
		{"filter key", []string{"inspect", "images", "--filter", "colour=red"}, "colour=red"},
		{"filter for another kind", []string{"inspect", "volumes", "--filter", "status=running"}, "status=running"},
		{"filter value", []string{"inspect", "containers", "--filter", "status=sleepy"}, "status=sleepy"},
		{"format", []string{"inspect", "images", "--format", "{{.Nope"}, "{{.Nope"},
		{"no kind", []string{"inspect"}, "kind"},
		{"unknown flag", []string{"inspect", "images", "--colour"}, "--colour"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runDockctl(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			checkOneLine(t, errOut, tc.value)
		})
	}
}

func TestInspectUnreachableHost(t *testing.T) {
	requireEngine(t)
	const host = "tcp://127.0.0.1:1"
	out, errOut, code := runDockctl(t, "--host", host, "inspect", "images")
	if code != 1 {
		t.Errorf("exit %d, want 1 (stderr %q)", code, errOut)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
	checkOneLine(t, errOut, host)
	for _, bad := range []string{"goroutine ", "panic", ".go:"} {
		if strings.Contains(errOut, bad) {
			t.Errorf("stderr looks like a stack trace (%q): %q", bad, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	c := requireEngine(t)
	out, errOut, code := runDockctl(t, "version", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var doc struct {
		Schema string `json:"schema"`
		Client struct {
			MaxAPIVersion string `json:"max_api_version"`
		} `json:"client"`
		Engine struct {
			Host       string `json:"host"`
			Version    string `json:"version"`
			APIVersion string `json:"api_version"`
		} `json:"engine"`
		NegotiatedAPIVersion string `json:"negotiated_api_version"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	sv, err := c.ServerVersion(testContext(t, fixtureTimeout))
	if err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}
	if doc.Schema != "dockctl.version/v1" {
		t.Errorf("schema %q, want dockctl.version/v1", doc.Schema)
	}
	if doc.Engine.Version != sv.Version || doc.Engine.APIVersion != sv.APIVersion {
		t.Errorf("engine version %q API %q, the engine says %q API %q", doc.Engine.Version, doc.Engine.APIVersion, sv.Version, sv.APIVersion)
	}
	if doc.Engine.Host != engineHost {
		t.Errorf("engine host %q, want %q", doc.Engine.Host, engineHost)
	}
	// Negotiation settles on the lower of the two maxima.
	want := sv.APIVersion
	if versions.LessThan(doc.Client.MaxAPIVersion, want) {
		want = doc.Client.MaxAPIVersion
	}
	if doc.NegotiatedAPIVersion != want {
		t.Errorf("negotiated API version %q, want %q (engine %s, client max %s)", doc.NegotiatedAPIVersion, want, sv.APIVersion, doc.Client.MaxAPIVersion)
	}
	if versions.GreaterThan(doc.NegotiatedAPIVersion, sv.APIVersion) {
		t.Errorf("negotiated API version %q is above the engine's %q", doc.NegotiatedAPIVersion, sv.APIVersion)
	}
	if sv.APIVersion == "1.41" && doc.NegotiatedAPIVersion != "1.41" {
		t.Errorf("negotiated API version %q on an API 1.41 engine, want 1.41", doc.NegotiatedAPIVersion)
	}
}

// ---------------------------------------------------------------------------
// docker system df -v --format json

type (
	cliDFImage     struct{ ID, Size, SharedSize, UniqueSize, Containers string }
	cliDFContainer struct{ ID, Names, Size string }
	cliDFVolume    struct{ Name, Links, Size string }
	cliDFRows      struct {
		Images     []cliDFImage
		Containers []cliDFContainer
		Volumes    []cliDFVolume
	}
)

func (d cliDFRows) image(id string) (cliDFImage, bool) {
	for _, r := range d.Images {
		if r.ID == id {
			return r, true
		}
	}
	return cliDFImage{}, false
}

func (d cliDFRows) container(id string) (cliDFContainer, bool) {
	for _, r := range d.Containers {
		if r.ID == id {
			return r, true
		}
	}
	return cliDFContainer{}, false
}

func (d cliDFRows) volume(name string) (cliDFVolume, bool) {
	for _, r := range d.Volumes {
		if r.Name == name {
			return r, true
		}
	}
	return cliDFVolume{}, false
}

// cliSystemDF runs `docker system df -v --format json`; ok is false without
// a CLI.
func cliSystemDF(t testing.TB) (cliDFRows, bool) {
	t.Helper()
	out, ok := dockerCLI(t, "system", "df", "-v", "--format", "json")
	if !ok {
		return cliDFRows{}, false
	}
	var d cliDFRows
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("docker system df -v --format json: %v\n%s", err, out)
	}
	return d, true
}

// ---------------------------------------------------------------------------
// Small helpers

// checkOneLine checks that s is exactly one line naming value.
func checkOneLine(t testing.TB, s, value string) {
	t.Helper()
	if ls := lines(s); len(ls) != 1 {
		t.Errorf("stderr has %d lines, want 1:\n%s", len(ls), s)
	}
	if !strings.Contains(s, value) {
		t.Errorf("stderr %q does not name %q", s, value)
	}
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func shortAll(ids ...string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = short(id)
	}
	return out
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

var columnSep = regexp.MustCompile(`\s{2,}`)

// columns splits a table line on runs of two or more spaces.
func columns(line string) []string { return columnSep.Split(strings.TrimSpace(line), -1) }

func hasPrefixSlice(s, prefix []string) bool {
	return len(s) >= len(prefix) && equalSlices(s[:len(prefix)], prefix)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func uniq(s []string) []string {
	out := sorted(s)
	j := 0
	for i, v := range out {
		if i == 0 || v != out[j-1] {
			out[j] = v
			j++
		}
	}
	return out[:j]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func equalSlices(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalMaps[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// compareTagSets reports differences between two id → tags listings.
func compareTagSets(t testing.TB, what string, want, got map[string][]string) {
	t.Helper()
	for id, tags := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: image %s %v missing", what, short(id), tags)
			continue
		}
		if !equalSlices(sorted(g), sorted(tags)) {
			t.Errorf("%s: image %s tags %v, want %v", what, short(id), sorted(g), sorted(tags))
		}
	}
	for id, tags := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: unexpected image %s %v", what, short(id), tags)
		}
	}
}
