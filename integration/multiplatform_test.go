//go:build unix

package integration

// Multi-platform images (issue 13 item 3). On the containerd image store
// (API 1.47 lists an image's manifests) one image can hold several
// platforms' content: an index naming one manifest per platform, each with
// its config and layers, any of which may be missing locally (a pull of one
// platform, a partial load). There is no registry here, so the test writes
// an OCI image layout in Go and `docker load`s it.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/versions"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ociPlatform is one platform's image in an OCI layout ociArchive writes.
type ociPlatform struct {
	Platform ocispec.Platform
	// Files are the image's one layer.
	Files []tarEntry
	// Leave is what the archive leaves out of this platform's content:
	// "" (nothing), "layer" (its layer blob) or "manifest" (its manifest,
	// and so everything under it).
	Leave string
}

// ociImage is what ociArchive made of one platform.
type ociImage struct {
	Manifest, Config, Layer ocispec.Descriptor
	DiffID                  digest.Digest
	// Files is the bytes of the layer's files.
	Files int64
}

// blobWriter collects the blobs of an OCI layout.
type blobWriter map[digest.Digest][]byte

func (b blobWriter) add(mediaType string, data []byte) ocispec.Descriptor {
	d := digest.FromBytes(data)
	b[d] = data
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

func (b blobWriter) addJSON(t testing.TB, mediaType string, v any) ocispec.Descriptor {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %s: %v", mediaType, err)
	}
	return b.add(mediaType, data)
}

// ociArchive writes an OCI image layout (as a tar for `docker load`) of
// one image named ref: an index of the platforms' manifests, each image
// with the fixture labels, CMD ["/bin/app"] and one gzip layer of its
// files. It returns the archive, the index's descriptor (the image's id on
// the containerd store) and each platform's image.
func ociArchive(t testing.TB, ref string, platforms []ociPlatform) ([]byte, ocispec.Descriptor, []ociImage) {
	t.Helper()
	blobs := blobWriter{}
	var manifests []ocispec.Descriptor
	var images []ociImage
	leave := map[digest.Digest]bool{}
	labels := fixtureLabels(t, nil)
	for _, p := range platforms {
		raw := tarArchive(t, p.Files)
		var files int64
		for _, f := range p.Files {
			files += int64(len(f.Data))
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		if _, err := zw.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		layer := blobs.add(ocispec.MediaTypeImageLayerGzip, gz.Bytes())
		diffID := digest.FromBytes(raw)
		created := time.Unix(1700000000, 0).UTC()
		config := blobs.addJSON(t, ocispec.MediaTypeImageConfig, ocispec.Image{
			Created:  &created,
			Platform: p.Platform,
			Config:   ocispec.ImageConfig{Labels: labels, Cmd: []string{"/bin/app"}},
			RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
			History:  []ocispec.History{{Created: &created, CreatedBy: "dockctl integration fixture (" + platformString(p.Platform) + ")"}},
		})
		manifest := blobs.addJSON(t, ocispec.MediaTypeImageManifest, ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest,
			Config:    config,
			Layers:    []ocispec.Descriptor{layer},
		})
		switch p.Leave {
		case "layer":
			leave[layer.Digest] = true
		case "manifest":
			leave[manifest.Digest], leave[config.Digest], leave[layer.Digest] = true, true, true
		}
		platform := p.Platform
		manifest.Platform = &platform
		manifests = append(manifests, manifest)
		images = append(images, ociImage{Manifest: manifest, Config: config, Layer: layer, DiffID: diffID, Files: files})
	}
	index := blobs.addJSON(t, ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: manifests,
	})
	_, tag, _ := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
	top := index
	top.Annotations = map[string]string{
		"io.containerd.image.name": "docker.io/" + ref,
		ocispec.AnnotationRefName:  tag,
	}
	layout, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{top}})
	if err != nil {
		t.Fatal(err)
	}
	entries := []tarEntry{
		{Path: "oci-layout", Data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{Path: "index.json", Data: layout},
	}
	for d, data := range blobs {
		if !leave[d] {
			entries = append(entries, tarEntry{Path: "blobs/sha256/" + d.Encoded(), Data: data})
		}
	}
	return tarArchive(t, entries), index, images
}

func platformString(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// loadImage `docker load`s archive, registers the cleanup of image id
// and returns the engine's answer.
func loadImage(t testing.TB, archive []byte, id string) string {
	t.Helper()
	c := requireEngine(t)
	resp, err := c.ImageLoad(testContext(t, fixtureTimeout), bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("docker load: %v", err)
	}
	defer resp.Body.Close()
	status, _, text, err := drainStream(resp.Body)
	if err != nil {
		t.Fatalf("docker load: %v\n%s", err, text)
	}
	t.Cleanup(func() { cleanupImage(t, id) })
	return strings.TrimSpace(status + " " + text)
}

// otherArch is a platform's architecture other than the engine's.
func otherArch() string {
	if engineArch == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// dockerSaveArchive writes a `docker save` archive (manifest.json, the
// format every engine loads) of one image named ref: the fixture labels,
// CMD ["/bin/app"], one uncompressed layer of files. It returns the
// archive and the image's id on a graph driver (its config's digest).
func dockerSaveArchive(t testing.TB, ref string, files []tarEntry) ([]byte, string) {
	t.Helper()
	layer := tarArchive(t, files)
	diffID := digest.FromBytes(layer)
	created := time.Unix(1700000000, 0).UTC()
	config, err := json.Marshal(ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{OS: "linux", Architecture: engineArch},
		Config:   ocispec.ImageConfig{Labels: fixtureLabels(t, nil), Cmd: []string{"/bin/app"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
		History:  []ocispec.History{{Created: &created, CreatedBy: "dockctl integration fixture"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := digest.FromBytes(config)
	manifest, err := json.Marshal([]map[string]any{{
		"Config": id.Encoded() + ".json", "RepoTags": []string{ref}, "Layers": []string{diffID.Encoded() + "/layer.tar"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return tarArchive(t, []tarEntry{
		{Path: "manifest.json", Data: manifest},
		{Path: id.Encoded() + ".json", Data: config},
		{Path: diffID.Encoded() + "/layer.tar", Data: layer},
	}), id.String()
}

// platformItem is a platform of `dockctl inspect images --format json`.
type platformItem struct {
	Platform      string   `json:"platform"`
	Kind          string   `json:"kind"`
	Manifest      string   `json:"manifest"`
	Available     bool     `json:"available"`
	ContentBytes  int64    `json:"content_bytes"`
	UnpackedBytes int64    `json:"unpacked_bytes"`
	Containers    []string `json:"containers"`
}

// TestMultiPlatformImage: on the containerd image store, images of two
// platforms loaded with all of the other platform's content, without its
// layer, and without its manifest; a container of the engine's platform on
// the first. dockctl inspect shows each image's platforms as docker lists
// them (which platform is here, and how much of it) and which platform
// manifest the container runs; and what the report says pruning the
// images frees is what the disk gives back (du -sb of the root dir, as the
// probe counts it), with the container (the other two go) and without it.
// On a graph driver an image has one platform: the same image, loaded
// from a `docker save` archive, shows no platforms and the same promise
// holds.
func TestMultiPlatformImage(t *testing.T) {
	c := requireEngine(t)
	e := engineUnderTest(t)
	scope := scopeFilters(t)
	host := ocispec.Platform{OS: "linux", Architecture: engineArch}
	other := ocispec.Platform{OS: "linux", Architecture: otherArch()}
	const hostBytes, otherBytes = 300_000 + 17, 500_000 + 29

	type loaded struct {
		ref, id string
		leave   string     // what of the other platform the archive left out
		images  []ociImage // per platform: host, other
		index   int64      // the index blob
	}
	var imgs []*loaded
	if e.Containerd {
		if !versionAtLeast(e.Negotiated, "1.47") {
			t.Fatalf("%s: the containerd image store at API %s lists no manifests (1.47)", e, e.Negotiated)
		}
		for _, leave := range []string{"", "layer", "manifest"} {
			name := "multi-" + map[string]string{"": "full", "layer": "nolayer", "manifest": "nomanifest"}[leave]
			l := &loaded{ref: imageRef(name, "1"), leave: leave}
			archive, index, images := ociArchive(t, l.ref, []ociPlatform{
				{Platform: host, Files: []tarEntry{{Path: "bin/app", Data: appExecutable(t), Mode: 0o755}, {Path: "opt/host.bin", Data: randomBytes(t, hostBytes)}}},
				{Platform: other, Files: []tarEntry{{Path: "opt/other.bin", Data: randomBytes(t, otherBytes)}}, Leave: leave},
			})
			l.id, l.images, l.index = index.Digest.String(), images, index.Size
			t.Logf("docker load %s: %s", l.ref, loadImage(t, archive, l.id))
			imgs = append(imgs, l)
		}
	} else {
		l := &loaded{ref: imageRef("multi-single", "1")}
		archive, id := dockerSaveArchive(t, l.ref, []tarEntry{{Path: "bin/app", Data: appExecutable(t), Mode: 0o755}, {Path: "opt/host.bin", Data: randomBytes(t, hostBytes)}})
		l.id = id
		t.Logf("docker load %s: %s", l.ref, loadImage(t, archive, l.id))
		imgs = append(imgs, l)
	}
	user := createContainer(t, imgs[0].ref, objName("multi-user"), containerOpts{})

	// What docker says of them (the fixture): on the containerd store each
	// manifest's content is the blobs of it the archive held, and the
	// image's size is every manifest's content plus the engine's
	// platform's snapshot; the index itself is in no figure.
	ctx := testContext(t, fixtureTimeout)
	list, err := c.ImageList(ctx, image.ListOptions{Manifests: true, Filters: scopeArgs(t)})
	if err != nil {
		t.Fatal(err)
	}
	docker := map[string]image.Summary{}
	for _, s := range list {
		docker[s.ID] = s
	}
	for _, l := range imgs {
		s, ok := docker[l.id]
		if !ok {
			t.Fatalf("fixture: image %s (%s) not listed; listed %v", l.ref, short(l.id), sortedKeys(docker))
		}
		if !e.Containerd {
			if len(s.Manifests) != 0 {
				t.Errorf("%s: image %s lists %d manifests: a graph driver keeps one platform", e, l.ref, len(s.Manifests))
			}
			continue
		}
		var total int64
		for _, m := range s.Manifests {
			total += m.Size.Total
		}
		if len(s.Manifests) != 2 || total != s.Size {
			t.Fatalf("fixture on the %s: image %s lists %d manifests (want 2) totalling %d, its size is %d", e.store(), l.ref, len(s.Manifests), total, s.Size)
		}
		for i, m := range s.Manifests {
			want := l.images[i]
			content := want.Manifest.Size + want.Config.Size + want.Layer.Size
			available := true
			if i == 1 {
				switch l.leave {
				case "layer":
					content, available = want.Manifest.Size+want.Config.Size, false
				case "manifest":
					content, available = 0, false
				}
			}
			if m.Descriptor.Digest != want.Manifest.Digest || m.Available != available || m.Size.Content != content || (i == 0) != (m.ImageData != nil && m.ImageData.Size.Unpacked > 0) {
				t.Fatalf("fixture on the %s: image %s manifest %d: %s available %v content %d unpacked %+v; want %s, %v, %d, unpacked only for the engine's platform", e.store(), l.ref, i, m.Descriptor.Digest, m.Available, m.Size.Content, m.ImageData, want.Manifest.Digest, available, content)
			}
		}
		t.Logf("%s: image %s: docker says size %d (host %d + %d unpacked, other %d); the index's %d bytes are in no figure", e, l.ref, s.Size,
			s.Manifests[0].Size.Content, s.Manifests[0].ImageData.Size.Unpacked, s.Manifests[1].Size.Content, l.index)
	}

	// dockctl shows the platforms as docker lists them, and the platform
	// the container runs.
	idoc := inspectJSON[struct {
		ID        string         `json:"id"`
		Platforms []platformItem `json:"platforms"`
	}](t, "images", filterFlags(scope))
	for _, it := range idoc.Items {
		s := docker[it.ID]
		var want []platformItem
		for _, m := range s.Manifests {
			p := platformItem{Kind: string(m.Kind), Manifest: m.Descriptor.Digest.String(), Available: m.Available, ContentBytes: m.Size.Content}
			if m.ImageData != nil {
				p.Platform = platformString(m.ImageData.Platform)
				p.UnpackedBytes = m.ImageData.Size.Unpacked
				p.Containers = m.ImageData.Containers
			}
			want = append(want, p)
		}
		if fmt.Sprint(it.Platforms) != fmt.Sprint(want) {
			t.Errorf("%s: dockctl inspect images: %s platforms %+v, docker lists %+v", e, short(it.ID), it.Platforms, want)
		}
	}
	if len(idoc.Items) != len(imgs) {
		t.Errorf("dockctl inspect images lists %d of the test's images, want %d", len(idoc.Items), len(imgs))
	}
	if e.Containerd {
		if p := docker[imgs[0].id].Manifests[0]; p.ImageData == nil || !slices.Contains(p.ImageData.Containers, user) {
			t.Errorf("fixture on the %s: docker does not list container %s under the platform it runs: %+v", e.store(), short(user), p.ImageData)
		}
	}
	cdoc := inspectJSON[struct {
		ID            string `json:"id"`
		ImageManifest string `json:"image_manifest"`
		ImagePlatform string `json:"image_platform"`
	}](t, "containers", filterFlags(scope))
	for _, it := range cdoc.Items {
		var wantManifest, wantPlatform string
		if e.Containerd && versionAtLeast(e.Negotiated, "1.48") {
			wantManifest, wantPlatform = imgs[0].images[0].Manifest.Digest.String(), platformString(host)
		}
		if it.ID != user || it.ImageManifest != wantManifest || it.ImagePlatform != wantPlatform {
			t.Errorf("%s: dockctl inspect containers: %s runs manifest %q platform %q; want %s, %q, %q", e, short(it.ID), it.ImageManifest, it.ImagePlatform, short(user), wantManifest, wantPlatform)
		}
	}

	// What pruning the images frees, by the report and on disk: first
	// with the container (the unused images go), then without it.
	root := e.RootDir
	if !strings.HasPrefix(engineHost, "unix://") {
		measuredOnlyByEngine(t, "images")
		return
	}
	pruneImages := func(when string, want []string) {
		t.Helper()
		doc := reportJSON(t, scope)
		predicted := doc.Summary.Images.ReclaimableBytes
		var plan pruneDoc
		freed, quiet := measuredPrune(t, root, nil, func() {
			plan, _ = prunePlan(t, scope, 0, "images", "--all", "--yes", "--no-cache")
		})
		var removed []string
		for _, o := range plan.Removed {
			if o.Type == "image" && o.Result == "removed" {
				removed = append(removed, o.ID)
			}
		}
		if !equalSlices(sorted(removed), sorted(want)) {
			t.Errorf("%s: dockctl prune images --all removed %v, want %v", when, shortAll(removed...), shortAll(want...))
		}
		t.Logf("%s on the %s: images RECLAIMABLE %d (plan %d); du -sb of the root dir dropped %d (%+d)", when, e.store(), predicted, plan.ReclaimBytes, freed, predicted-freed)
		switch {
		case !quiet:
			inconclusive(t, "%s: another client changed the engine while it was measured; rerun", when)
		case !withinDrift(predicted, freed, 0):
			t.Errorf("%s on the %s: images RECLAIMABLE %d, the root dir's du -sb dropped %d (off by %d; tolerance max(1%%, 256 KiB))", when, e.store(), predicted, freed, predicted-freed)
		}
	}
	var unused []string
	for _, l := range imgs[1:] {
		unused = append(unused, l.id)
	}
	if len(unused) > 0 {
		pruneImages("with a container on "+imgs[0].ref, unused)
	}
	if err := removeContainer(ctx, user); err != nil {
		t.Fatal(err)
	}
	pruneImages("without containers", []string{imgs[0].id})
}

// versionAtLeast reports whether API version v is at least min.
func versionAtLeast(v, min string) bool { return versions.GreaterThanOrEqualTo(v, min) }
