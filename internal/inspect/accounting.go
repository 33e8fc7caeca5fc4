package inspect

import (
	"sort"
	"strings"
)

// HeldLayerRecords maps image layers (by chain id) to the BuildKit cache
// records that also hold them. The engine marks such records Shared but
// does not say which layer each one is. Where the layer store's files
// were read (Layer.CacheID set), identity decides which layers can be
// held: only a layer whose dir is a BuildKit snapshot (MadeByBuildKit),
// never one the layer store made (a legacy build's, an import's), however
// equal their sizes. Which of several BuildKit layers a record is stays
// unknown: the map from record to snapshot is in BuildKit's bolt
// database, which the running engine keeps locked. So among the
// candidates a shared record is matched to a layer of the same size
// (largest layers first; among equal sizes, by chain id and record id;
// each record and layer used once); without CacheIDs every layer is a
// candidate, as before.
// A record holds its layer's whole chain: the layers below it (the image
// the build started FROM) belong to its parent records, which the engine
// reports with size 0 and which go only after it, so they are held by the
// matched record too. A layer below several matched layers is held by all
// their records, and freed only when every one of them goes. Record ids
// are sorted.
func HeldLayerRecords(imgs []Image, cache []BuildCacheRecord) map[string][]string {
	bySize := map[int64][]string{}
	for _, r := range cache {
		if r.Shared && r.SizeBytes > 0 {
			bySize[r.SizeBytes] = append(bySize[r.SizeBytes], r.ID)
		}
	}
	held := map[string][]string{}
	if len(bySize) == 0 {
		return held
	}
	for _, ids := range bySize {
		sort.Strings(ids)
	}
	type cand struct {
		chain string
		size  int64
	}
	var cands []cand
	seen := map[string]bool{}
	for _, img := range imgs {
		for _, l := range img.Layers {
			if l.CacheID != "" && !MadeByBuildKit(l.CacheID) {
				continue // the layer store's own dir: no record holds it as its snapshot
			}
			if !seen[l.ChainID] {
				seen[l.ChainID] = true
				cands = append(cands, cand{l.ChainID, l.SizeBytes})
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].size != cands[j].size {
			return cands[i].size > cands[j].size
		}
		return cands[i].chain < cands[j].chain
	})
	direct := map[string]string{}
	for _, c := range cands {
		if ids := bySize[c.size]; len(ids) > 0 {
			direct[c.chain] = ids[0]
			bySize[c.size] = ids[1:]
		}
	}
	sets := map[string]map[string]bool{}
	add := func(chain, rec string) {
		if sets[chain] == nil {
			sets[chain] = map[string]bool{}
		}
		sets[chain][rec] = true
	}
	for chain, rec := range direct {
		add(chain, rec)
	}
	for _, img := range imgs {
		for i, l := range img.Layers {
			if rec, ok := direct[l.ChainID]; ok {
				for _, below := range img.Layers[:i] {
					if _, own := direct[below.ChainID]; !own {
						add(below.ChainID, rec)
					}
				}
			}
		}
	}
	for chain, set := range sets {
		ids := make([]string, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		held[chain] = ids
	}
	return held
}

// MadeByBuildKit reports whether a storage-driver dir name is a BuildKit
// snapshot's: BuildKit names its snapshots with identity.NewID (128 random
// bits in base 36, 25 characters), while the layer store names its dirs
// with 64 hex digits (stringid.GenerateRandomID) and a container's init
// layer <64 hex>-init. On 20.10 BuildKit's snapshotter is the graph
// driver itself (moby builder-next/adapters/snapshot), and a layer it
// exports keeps the snapshot's dir (RegisterByGraphID), so the layer's
// cache-id says who made it.
func MadeByBuildKit(dir string) bool {
	if len(dir) != 25 {
		return false
	}
	for _, r := range dir {
		if (r < '0' || r > '9') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

// FromLocal reports whether a build-cache record is BuildKit's record of
// a base image taken from the engine's own image store: moby's puller
// (builder-next/adapters/containerimage, Snapshot) describes it "from
// local <ref>" and its snapshot is the image's layer, by chain id, which
// the snapshot adapter holds a reference to in the layer store for as
// long as the record lives, whether or not the image does.
func FromLocal(r BuildCacheRecord) bool { return strings.HasPrefix(r.Description, "from local ") }

// CacheHeldLayers says which build-cache record is credited with the
// inventory's UnreferencedLayers, and their bytes (each layer's size as
// the layer store records it, as docker sizes every layer), when the
// records in planned are pruned: "" and 0 unless the engine lists a
// "from local" record (FromLocal: what holds such layers) and every one
// of them is in planned. Which of them holds which layer is in BuildKit's
// database, locked while the engine runs, so a plan that keeps any of
// them cannot say what the others free and counts nothing; the bytes are
// credited to the last of them by id. The prune plan and the report's
// RECLAIMABLE both count these bytes through this function.
func (inv *Inventory) CacheHeldLayers(planned func(id string) bool) (string, int64) {
	if len(inv.UnreferencedLayers) == 0 {
		return "", 0
	}
	last := ""
	for _, r := range inv.BuildCache {
		if !FromLocal(r) {
			continue
		}
		if !planned(r.ID) {
			return "", 0
		}
		last = max(last, r.ID)
	}
	if last == "" {
		return "", 0
	}
	var n int64
	for _, l := range inv.UnreferencedLayers {
		n += max(l.SizeBytes, 0)
	}
	return last, n
}
