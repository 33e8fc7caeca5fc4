package inspect

import "sort"

// Freed is what removing a set of images frees on disk.
type Freed struct {
	// Bytes freed in total, each layer counted once.
	Bytes int64
	// PerImage attributes each freed layer to exactly one removed image
	// (the first, in the given order, that references it), so the values
	// add up to Bytes.
	PerImage map[string]int64
	// HeldByBuildCache is the part of the removed images' layers that
	// build-cache records still hold: removing the images does not free it
	// while those records live (see HeldLayers).
	HeldByBuildCache int64
	// Approximate is set when an image's layers were unknown and its
	// engine-reported unique size stood in for them.
	Approximate bool
}

// FreedImageBytes computes what removing the images for which remove is
// true frees: a layer goes when no remaining image references it. Layers
// in held (see HeldLayers) stay on disk whatever happens to the images.
func FreedImageBytes(imgs []Image, remove func(Image) bool, held map[string]bool) Freed {
	f := Freed{PerImage: map[string]int64{}}
	kept := map[string]bool{}
	for _, img := range imgs {
		if !remove(img) {
			for _, l := range img.Layers {
				kept[l.ChainID] = true
			}
			if img.Layers == nil {
				// Its layers are unknown: nothing it shares can be proven free.
				f.Approximate = f.Approximate || img.SharedBytes > 0
			}
		}
	}
	counted := map[string]bool{}
	for _, img := range imgs {
		if !remove(img) {
			continue
		}
		if img.Layers == nil {
			if img.UniqueBytes > 0 {
				f.PerImage[img.ID] += img.UniqueBytes
				f.Bytes += img.UniqueBytes
			}
			f.Approximate = true
			continue
		}
		f.PerImage[img.ID] += 0
		for _, l := range img.Layers {
			if kept[l.ChainID] || counted[l.ChainID] {
				continue
			}
			counted[l.ChainID] = true
			if held[l.ChainID] {
				f.HeldByBuildCache += l.SizeBytes
				continue
			}
			f.PerImage[img.ID] += l.SizeBytes
			f.Bytes += l.SizeBytes
		}
	}
	return f
}

// HeldLayers finds the image layers that BuildKit's cache also holds (see
// HeldLayerRecords).
func HeldLayers(imgs []Image, cache []BuildCacheRecord) map[string]bool {
	held := map[string]bool{}
	for chain := range HeldLayerRecords(imgs, cache) {
		held[chain] = true
	}
	return held
}

// HeldLayerRecords maps image layers (by chain id) to the BuildKit cache
// record that also holds them. The engine marks such records Shared but
// does not say which layer each one is, so a shared record is matched to
// an image layer of the same size (largest layers first; among equal
// sizes, by chain id and record id; each record and layer used once).
// Zero-size records hold nothing worth matching.
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
	return held
}
