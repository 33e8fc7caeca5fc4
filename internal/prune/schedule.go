package prune

import (
	"net/http"
	"sync"

	"github.com/docker/docker/api/types/image"
)

// handler re-checks and removes one item.
type handler func(it Item) Outcome

// isSettled reports whether item i has its final outcome (an earlier pass,
// or a record the engine pruned along with another).
func (r *run) isSettled(i int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settled[i]
}

// settle records item i's final outcome.
func (r *run) settle(i int, o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.settled[i] {
		return
	}
	r.settled[i] = true
	r.done++
	r.record(i, o)
	if r.opts.Progress != nil {
		r.opts.Progress(r.done, len(r.plan.Items), r.bytes)
	}
}

// record appends an outcome; r.mu is held.
func (r *run) record(i int, o Outcome) {
	o.index, o.seq = i, r.seq
	r.seq++
	if o.Result == ResultRemoved || o.Result == ResultUntagged {
		r.bytes += o.Bytes
	}
	r.outcomes = append(r.outcomes, o)
	if r.opts.Log != nil {
		if err := r.opts.Log(o); err != nil && r.logErr == nil {
			r.logErr = err
			r.stopDispatch()
		}
	}
}

// pool runs h over the items idx with opts.Concurrency workers. Workers
// take no new item once r.ctx is done. hold, if set, may keep an outcome
// back (not settled) and returns true when it does.
func (r *run) pool(idx []int, h handler, hold func(i int, o Outcome) bool) {
	if len(idx) == 0 {
		return
	}
	var mu sync.Mutex
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if r.ctx.Err() != nil || next >= len(idx) {
			return 0, false
		}
		next++
		return idx[next-1], true
	}
	var wg sync.WaitGroup
	for range min(r.opts.Concurrency, len(idx)) {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				if r.isSettled(i) {
					continue
				}
				o := h(r.plan.Items[i])
				if hold != nil && hold(i, o) {
					continue
				}
				r.settle(i, o)
			}
		})
	}
	wg.Wait()
}

// imagePasses removes whole images. The engine refuses (409) to remove an
// image with dependent child images; such refusals are retried after the
// rest, for as long as a pass removes something.
func (r *run) imagePasses(idx []int) {
	// No pass, nor its image list, once dispatch has stopped: against a
	// hung engine the list would be one more --timeout.
	for len(idx) > 0 && r.ctx.Err() == nil {
		r.refreshChildren()
		var mu sync.Mutex
		held := map[int]Outcome{}
		progressed := false
		r.pool(idx, r.image, func(i int, o Outcome) bool {
			mu.Lock()
			defer mu.Unlock()
			if o.Result == ResultFailed && o.Status == http.StatusConflict {
				held[i] = o
				return true
			}
			if o.Result == ResultRemoved {
				progressed = true
			}
			return false
		})
		var retry []int
		for _, i := range idx {
			if o, ok := held[i]; ok {
				if progressed && r.ctx.Err() == nil {
					retry = append(retry, i)
				} else {
					r.settle(i, o)
				}
			}
		}
		idx = retry
	}
}

// refreshChildren lists every image (intermediate ones too) to learn which
// have children. The engine refuses to delete an image with children, but
// only after it has removed the tag it was asked to remove, so an image
// with children is never untagged: it waits for a later pass.
func (r *run) refreshChildren() {
	list, err := r.c.ImageList(r.call, image.ListOptions{All: true})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.children, r.parents = nil, nil
		return
	}
	r.children, r.parents = map[string]int{}, map[string]string{}
	for _, s := range list {
		if s.ParentID != "" {
			r.children[s.ParentID]++
			r.parents[s.ID] = s.ParentID
		}
	}
}

// lockChain waits until no other removal of image id's parent chain is in
// flight, and returns the unlock. Removing an image also removes the
// untagged parents it leaves unused; two removals in one chain at once
// (classic-builder images FROM one base plus the same step) both try to
// remove their shared parent, and the engine answers the one that comes
// second with an error ("unrecognized image ID") though its image is gone.
// Without the parent links every image is one chain.
func (r *run) lockChain(id string) func() {
	r.mu.Lock()
	top := ""
	if r.parents != nil {
		top = id
		seen := map[string]bool{id: true}
		for p := r.parents[top]; p != "" && !seen[p]; p = r.parents[top] {
			seen[p] = true
			top = p
		}
	}
	m := r.chains[top]
	if m == nil {
		m = &sync.Mutex{}
		r.chains[top] = m
	}
	r.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (r *run) hasChildren(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.children[id] > 0
}
