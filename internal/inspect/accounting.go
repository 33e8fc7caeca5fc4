package inspect

import "sort"

// HeldLayerRecords maps image layers (by chain id) to the BuildKit cache
// records that also hold them. The engine marks such records Shared but
// does not say which layer each one is, so a shared record is matched to
// an image layer of the same size (largest layers first; among equal
// sizes, by chain id and record id; each record and layer used once).
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
