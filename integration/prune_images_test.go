package integration

// Image removal on the real engine (issue 10, items 5 and 8): a container
// created between two untags of an image keeps its remaining tags; images
// that share a parent chain are removed in parallel without spurious
// failures.
//
// Safety: every prune is scoped with scopeFilters(t); the containers made
// mid-prune are this test's fixtures (labelled, removed at cleanup).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
)

// TestPruneUntagRecheck: an image tagged three times, every tag planned
// for removal; right after dockctl's first untag (the proxy holds
// dockctl's next request while the test acts) a container is created from
// the image. The image keeps the two other tags, the outcome says why, the
// untag that happened is listed, and the container starts.
func TestPruneUntagRecheck(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	refs := []string{imageRef("untag-race", "1"), imageRef("untag-race", "2"), imageRef("untag-race", "3")}
	img := importImage(t, refs[0], map[string][]byte{"/opt/u.bin": randomBytes(t, 20<<10)}, nil)
	tagImage(t, img, refs[1])
	tagImage(t, img, refs[2])
	dry, _ := prunePlan(t, scope, 0, "--all", "--dry-run")
	if it, ok := dry.item("image", img); !ok || it.Action != "remove" || !equalSlices(sorted(it.Refs), refs) {
		t.Fatalf("plan %+v, want image %s removed with its tags %v", dry.Plan, short(img), refs)
	}

	p := startProxy(t)
	first := pathOf("images", refs[0])
	hold, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.Before(func(req recordedRequest, log []recordedRequest) {
		for _, r := range log {
			if r.Method == http.MethodDelete && first.MatchString(r.Path) && r.Status == http.StatusOK {
				once.Do(func() {
					t.Logf("holding %s until the container exists", req)
					close(hold)
					<-release
				})
				return
			}
		}
	})
	type run struct {
		out, errOut string
		code        int
	}
	args := pruneArgs(scope, "--all", "--yes", "--concurrency", "4", "--format", "json")
	done := make(chan run, 1)
	go func() {
		var r run
		r.out, r.errOut, r.code = p.run(t, args...)
		done <- r
	}()
	var unhold sync.Once
	finished := false
	defer func() {
		// A failure below must not leave dockctl held (nor logging after
		// the test ends).
		if !finished {
			unhold.Do(func() { close(release) })
			<-done
		}
	}()
	userName := objName("untag-race-user")
	var user string
	var res run
	select {
	case <-hold:
		user = createContainer(t, img, userName, containerOpts{})
		unhold.Do(func() { close(release) })
		res = <-done
	case res = <-done:
		t.Errorf("dockctl never untagged %s: %v", refs[0], p.Requests())
	}
	finished = true
	t.Logf("exit %d; %s; stderr %q", res.code, requestSummary(p.Requests()), res.errOut)
	var doc pruneDoc
	if err := json.Unmarshal([]byte(res.out), &doc); err != nil {
		t.Fatalf("dockctl %s: stdout is not JSON: %v\n%s", strings.Join(args, " "), err, res.out)
	}
	for _, o := range append(append(append([]pruneOutcome{}, doc.Removed...), doc.Skipped...), doc.Failed...) {
		t.Logf("%s %s %s: %s %s", o.Result, o.Type, o.Name, o.Reason, o.Error)
	}
	if user == "" {
		t.FailNow()
	}

	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	for i, ref := range refs {
		ii, err := c.ImageInspect(ctx, ref)
		switch {
		case i == 0 && !errdefs.IsNotFound(err):
			t.Errorf("tag %s: inspect %s, %v; want it untagged (dockctl untagged it before the container appeared)", ref, short(ii.ID), err)
		case i > 0 && (err != nil || ii.ID != img):
			t.Errorf("tag %s of the image a container now uses: inspect %s, %v; want it still on image %s", ref, short(ii.ID), err, short(img))
		}
	}
	if res.code != 0 || len(doc.Failed) > 0 {
		t.Errorf("exit %d, failed %+v; want exit 0: nothing failed, the image was skipped", res.code, doc.Failed)
	}
	var skipped, untagged bool
	for _, o := range doc.Skipped {
		if o.Type == "image" && o.ID == img && o.Result == "skipped" {
			skipped = true
			for _, s := range []string{"now used by container " + userName, refs[1] + ", " + refs[2] + " stay", refs[0] + " was untagged"} {
				if !strings.Contains(o.Reason, s) {
					t.Errorf("skipped image: reason %q does not say %q", o.Reason, s)
				}
			}
		}
	}
	for _, o := range doc.Removed {
		if o.ID == img && o.Result == "untagged" && o.Name == refs[0] && o.Bytes == 0 {
			untagged = true
		}
		if o.ID == img && o.Result == "removed" {
			t.Errorf("image %s claimed removed: %+v", short(img), o)
		}
	}
	if !skipped || !untagged {
		t.Errorf("outcomes: image skipped %v, untag of %s listed %v; want both", skipped, refs[0], untagged)
	}
	if err := c.ContainerStart(ctx, user, container.StartOptions{}); err != nil {
		t.Errorf("the container created from the image cannot start: %v", err)
	} else if st := containerState(t, user); st != "running" {
		t.Errorf("the container created from the image is %q after start, want running", st)
	}
}

// TestPruneSharedParentChains: classic-builder images FROM one imported
// base plus the same step share that step's (untagged) image as their
// parent. Removed with --concurrency 4, every one is removed, nothing
// fails, and what dockctl counts is what the plan predicted.
func TestPruneSharedParentChains(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	baseRef := imageRef("chain-base", "1")
	base := importImage(t, baseRef, map[string][]byte{"/opt/base.bin": randomBytes(t, 20<<10)}, nil)
	step := map[string][]byte{"/opt/step.bin": randomBytes(t, 30<<10)}
	const n = 8
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	all := []string{objKey("image", base)}
	parents := map[string]bool{}
	for i := range n {
		id := buildImage(t, baseRef, imageRef("chain", strconv.Itoa(i)), step, map[string]string{"dockctl.test.n": strconv.Itoa(i)})
		all = append(all, objKey("image", id))
		ii, err := c.ImageInspect(ctx, id)
		if err != nil {
			t.Fatalf("inspecting %s: %v", short(id), err)
		}
		parents[ii.Parent] = true
	}
	if len(parents) != 1 {
		t.Fatalf("the %d images have parents %v, want one shared parent (the classic builder's cached step)", n, sortedKeys(parents))
	}
	all = sorted(all)
	dry, _ := prunePlan(t, scope, 0, "--all", "--dry-run")
	if got := dry.planKeys(); !equalSlices(got, all) {
		for _, k := range all {
			if _, ok := dry.item("image", strings.TrimPrefix(k, "image:")); !ok {
				kept, _ := dry.kept("image", strings.TrimPrefix(k, "image:"))
				t.Logf("not planned: %s, kept %+v", k, kept)
			}
		}
		t.Fatalf("plan %v, want %v", got, all)
	}

	// Through the proxy, which notes every image removal sent while
	// another is unanswered, and delays each a little so that removals
	// sent in parallel are surely in flight together.
	p := startProxy(t)
	images := regexp.MustCompile(`^/images/`)
	p.AddFault(&faultRule{Name: "slow-image-removal", Method: http.MethodDelete, Path: images, Delay: 100 * time.Millisecond})
	var mu sync.Mutex
	var overlaps []string
	p.Before(func(req recordedRequest, log []recordedRequest) {
		if req.Method != http.MethodDelete || !images.MatchString(req.Path) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range log[:len(log)-1] {
			if r.Method == http.MethodDelete && images.MatchString(r.Path) && r.Status == 0 {
				overlaps = append(overlaps, req.String()+" while "+r.String()+" was in flight")
			}
		}
	})
	// On the containerd image store the engine's figures are no measure
	// of what went: the root dir's disk use is (store_test.go).
	e := engineUnderTest(t)
	var root *rootDir
	var duB, duA diskMeasure
	haveDU := false
	if e.Containerd {
		root = localRootDir(t, c, base)
		duB, haveDU = root.measure(t)
	}
	before := readUsage(t)
	doc, errOut, code := proxyPrune(t, p, scope, []int{0, 1, 3}, "--all", "--yes", "--concurrency", "4")
	after := readUsage(t)
	if haveDU {
		duA, _ = root.measure(t)
	}
	t.Logf("exit %d; %s; stderr %q", code, requestSummary(p.Requests()), errOut)
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	// Every image here is in one parent chain (the base's).
	mu.Lock()
	defer mu.Unlock()
	for _, o := range overlaps {
		t.Errorf("two removals in one parent chain at once: %s", o)
	}
	for _, o := range doc.Failed {
		t.Errorf("failed %s %s: %d %s", o.Type, o.Name, o.Status, o.Error)
	}
	var claimed int64
	for _, o := range doc.Removed {
		claimed += o.Bytes
		if o.Result != "removed" {
			t.Errorf("%s %s: result %q, want removed", o.Type, o.Name, o.Result)
		}
	}
	if got := outcomeKeys(doc.Removed); !equalSlices(got, all) {
		t.Errorf("removed %v, want %v", got, all)
	}
	checkRemoved(t, all, "the prune")
	if claimed != doc.ReclaimBytes {
		t.Errorf("removed outcomes count %d bytes, the plan predicted %d", claimed, doc.ReclaimBytes)
	}
	measured := before.total() - after.total()
	t.Logf("bytes: predicted %d, dockctl measured %s, this test measured %d", doc.ReclaimBytes, ptrString(doc.ReclaimedBytes), measured)
	changed := foreignChanges(before, after)
	switch {
	case e.Containerd && (len(changed) > 0 || !haveDU || !duA.ok):
		measuredOnlyByEngine(t, fmt.Sprintf("the prune (objects outside this test changed: %v)", changed))
	case e.Containerd:
		drop := checkDU(t, "the prune", duB, duA, doc.ReclaimBytes)
		if doc.ReclaimedBytes != nil && abs64(*doc.ReclaimedBytes-drop) > duTolerance(drop) {
			t.Errorf("dockctl measured %d bytes, the root dir's disk use dropped %d (tolerance %d)", *doc.ReclaimedBytes, drop, duTolerance(drop))
		}
	case len(changed) > 0:
		t.Logf("NOT COMPARING MEASURED BYTES: objects outside this test changed during the prune: %v", changed)
	default:
		if measured > doc.ReclaimBytes {
			t.Errorf("the engine's usage dropped by %d bytes, more than the %d predicted", measured, doc.ReclaimBytes)
		}
		if doc.ReclaimedBytes != nil && *doc.ReclaimedBytes > doc.ReclaimBytes {
			t.Errorf("dockctl measured %d bytes, more than the %d predicted", *doc.ReclaimedBytes, doc.ReclaimBytes)
		}
	}
}

// TestPruneKeepsEveryTagOfAnImageInUse: an image with three tags, a
// container created from the first. dockctl keeps the image and every tag
// (its plan removes nothing of it), on every engine. docker's own
// `image prune -a` differs by engine, which is why dockctl does not follow
// it: Docker 20.10's (graph driver, daemon/images/image_prune.go) deletes
// the image's references one by one until the last, which the container
// keeps, so it untags even the name the container was created from and
// leaves one arbitrary tag; Docker 29 on the containerd image store
// (daemon/containerd/image_prune.go, filterImagesUsedByContainers) keeps
// the names containers use and untags the others.
func TestPruneKeepsEveryTagOfAnImageInUse(t *testing.T) {
	c := requireEngine(t)
	e := engineUnderTest(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	refs := []string{imageRef("inuse-tags", "a"), imageRef("inuse-tags", "b"), imageRef("inuse-tags", "c")}
	img := importImage(t, refs[0], map[string][]byte{"/opt/t.bin": randomBytes(t, 20<<10)}, nil)
	tagImage(t, img, refs[1])
	tagImage(t, img, refs[2])
	user := createContainer(t, refs[0], objName("inuse-tags-user"), containerOpts{})
	tags := func() []string {
		ii, err := c.ImageInspect(testContext(t, fixtureTimeout), img)
		if err != nil {
			t.Fatalf("inspecting %s: %v", short(img), err)
		}
		return sorted(ii.RepoTags)
	}

	dry, _ := prunePlan(t, scope, 0, "images", "--all", "--dry-run")
	if it, ok := dry.item("image", img); ok {
		t.Errorf("dockctl plans %s %v (%q) for an image a container uses", it.Action, it.Refs, it.Reason)
	}
	if k, ok := dry.kept("image", img); !ok || !strings.Contains(k.Reason, "used by container") {
		t.Errorf("image %s: kept %v (%q), want it kept as used by container %s", short(img), ok, k.Reason, objName("inuse-tags-user"))
	}
	applied, _ := prunePlan(t, scope, 0, "images", "--all", "--yes")
	if len(applied.Removed) != 0 {
		t.Errorf("dockctl prune images --all removed %+v, want nothing", applied.Removed)
	}
	if got := tags(); !equalSlices(got, refs) {
		t.Fatalf("after dockctl prune images --all the image has tags %v, want all of %v", got, refs)
	}

	// docker's own prune, on this test's objects only.
	p := pruneScoped(t, "image")
	got := tags()
	t.Logf("%s: after docker image prune -a the image has tags %v (the container was created from %s); docker said:\n%s", e, got, refs[0], p.output)
	switch {
	case e.Containerd:
		if !equalSlices(got, refs[:1]) {
			t.Errorf("%s: docker image prune -a left tags %v; Docker 29 on the containerd image store keeps the name the container uses (%s) and untags the others", e, got, refs[0])
		}
	case !versionAtLeast(e.API, "1.42"):
		if len(got) != 1 {
			t.Errorf("%s: docker image prune -a left tags %v; Docker 20.10 untags all but one (which the container's reference keeps)", e, got)
		}
	default:
		t.Logf("%s: not one of the engines this test knows docker's behaviour of (Docker 20.10 with a graph driver, Docker 29 with the containerd image store); dockctl's part is checked above", e)
	}
	if err := c.ContainerStart(testContext(t, fixtureTimeout), user, container.StartOptions{}); err != nil {
		t.Errorf("the container cannot start after docker's prune: %v", err)
	}
}
