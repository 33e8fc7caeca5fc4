package inspect

import "sort"

// HeldLayerRecords maps image layers (by chain id) to the BuildKit cache
// record that also holds them. The engine marks such records Shared but
// does not say which layer each one is, so a shared record is matched to
// an image layer of the same size (largest layers first; among equal
// sizes, by chain id and record id; each record and layer used once).
// A record holds its layer's whole chain: the layers below it (the image
// the build started FROM) belong to its parent records, which the engine
// reports with size 0 and which go only after it, so they are mapped to
// the matched record too.
func HeldLayerRecords(imgs []Image, cache []BuildCacheRecord) map[string]string {
	bySize := map[int64][]string{}
	for _, r := range cache {
		if r.Shared && r.SizeBytes > 0 {
			bySize[r.SizeBytes] = append(bySize[r.SizeBytes], r.ID)
		}
	}
	held := map[string]string{}
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
	for _, c := range cands {
		if ids := bySize[c.size]; len(ids) > 0 {
			held[c.chain] = ids[0]
			bySize[c.size] = ids[1:]
		}
	}
	// Extend each match down its chain; a layer already matched on its own
	// keeps its record. Images go in id order so that a base below two
	// matched layers always goes to the same record.
	byID := append([]Image(nil), imgs...)
	sort.Slice(byID, func(i, j int) bool { return byID[i].ID < byID[j].ID })
	direct := map[string]bool{}
	for chain := range held {
		direct[chain] = true
	}
	for _, img := range byID {
		for i := len(img.Layers) - 1; i >= 0; i-- {
			rec, ok := held[img.Layers[i].ChainID]
			if !ok || !direct[img.Layers[i].ChainID] {
				continue
			}
			for _, below := range img.Layers[:i] {
				if _, done := held[below.ChainID]; !done {
					held[below.ChainID] = rec
				}
			}
			break
		}
	}
	return held
}
