// Package prune owns dockctl's guarded cleanup: it turns an
// inspect.Inventory and a Policy into a Plan, and applies a Plan to an
// engine.
//
// # Planning
//
// BuildPlan is pure: no I/O, no clock (the caller passes now), and the same
// input always gives the same Plan, byte for byte once JSON-encoded. Every
// object of a kind in scope ends up either in Plan.Items (removed, with the
// bytes it frees and why) or in Plan.Kept (with the reason it stays).
//
// Kinds are planned in docker's order — containers, networks, volumes,
// images, build cache — so the containers a plan removes no longer hold
// the networks, volumes and images only they used (the cascade): those are
// planned in the same run and their bytes counted. A container that stays
// (kept, or out of scope) keeps its image (every tag of it), its volumes
// and its networks. Users are worked out from the inventory's containers,
// so collect containers whenever images, volumes or networks are in scope;
// without them the engine's own counts (Image.Containers, Volume.RefCount,
// Network.Containers) decide.
//
// Guards, in the order a kept object's reason is chosen: running, paused
// and restarting containers; objects used by a container that stays;
// --filter (objects not matching are kept "outside --filter"); the scope
// rules (dangling-only images without All, named volumes without
// AllVolumes, built-in networks, build cache in use); the label
// dockctl.keep=true and KeepLabels; Keep globs on names and image
// references; compose projects with a running container; OlderThan;
// KeepRecent; and last the budget (TargetUsage or the watermarks).
// A reason is data the user reads, and quotes the guard as it was typed
// ("matches --keep 'postgres:*'", "use --all"); errors name no flag
// (LimitError: cmd words it with --max-remove).
//
// # Bytes
//
// A container frees its writable layer, a volume its size (an unknown size,
// -1, counts 0 and the item says "size unknown"), a network nothing. Images
// use layer accounting: a layer (by chain id) is freed exactly when every
// image referencing it is removed, and its bytes are attributed to the
// removed image that releases its last reference (the last one in plan
// order), so item bytes sum to the total. An image without Layers falls
// back to its UniqueBytes and marks the plan approximate. Build cache
// records free their size, except shared records, which count 0: their
// bytes are image layers, freed with the images.
//
// Build cache default (without AllBuildCache) follows BuildKit's own
// `docker builder prune`: records not in use, not shared with images, and
// not of the internal or frontend types. AllBuildCache takes every record
// not in use, as `docker builder prune -a`.
//
// # Budget mode
//
// With TargetUsage (bytes of Docker's own usage: image layers, writable
// layers, volumes and unshared build cache) or HighWatermark/LowWatermark
// (percent of the Docker root filesystem, usage = FS.SizeBytes -
// FS.FreeBytes), nothing is planned while usage is at or under the mark.
// Above it, the other kinds are planned as usual and eligible images are
// removed least recently used first until the predicted usage reaches the
// target (or the low watermark). Docker records no last-use time, so an
// image's last use is the newest of: the creation time of the containers
// created from it (the model carries no start or finish time), its last tag
// time, and its own creation time; the item's reason names the signal.
//
// # Applying
//
// Apply re-checks every item against the engine before removing it and
// skips what changed since the plan (a container now running, an image
// now used or re-tagged, a volume or network now used, an object the
// plan's Guards now protect); it never forces a removal. A network's users
// are worked out as the inventory's are (inspect.AttachedToNetwork over
// every container), not from the engine's network filter, which misses
// containers never started since they joined. It runs phases in docker's order with a bounded worker pool in
// each phase, removes untag-only image items before whole images, retries
// images refused with 409 (a parent removed before its child) once the
// rest of the phase is done, records 404s as already gone, and keeps going
// past failures.
//
// Images: an image's users are checked again before each of its tags is
// removed (the engine protects only the last tag of an image in use).
// Removals within one parent chain run one at a time, since the engine
// also removes the untagged parents an image leaves unused and two such
// removals at once race for a shared parent. Outcomes say what dockctl's
// calls did, as the engine answered them: an image another client removed
// is gone, not removed; planned images the engine removed along with
// another are removed "along with" it; tags dockctl removed before an
// image was skipped, failed or found gone are untagged outcomes of their
// own. Build cache records are pruned one call each
// (BuildCachePrune with the filter id=<record id> and All), one at a time,
// since BuildKit runs one prune at a time; records the engine prunes along
// with them (children) are recorded as removed too.
//
// With ApplyOptions.DryRun, Apply runs the same re-checks in the same
// order against an overlay of the engine that records removals instead of
// sending them, and edits later answers to leave out what it "removed":
// the Result is what a real run would do now, and no mutating request
// reaches the engine. A Log that fails stops the run like an interruption:
// a prune does not go on removing without its audit log.
//
// # Files
//
// Planning: policy.go (Policy, Guards), planner.go (BuildPlan), images.go
// (image and budget planning), plan.go (the Plan and its file). Applying:
// apply.go (Apply and its state), schedule.go (the worker pool, image
// passes and parent-chain locks), recheck.go (the re-checks every kind
// shares), apply_container.go, apply_network.go, apply_volume.go,
// apply_image.go and apply_buildcache.go (each kind's re-check and
// removal), result.go (outcomes, Result and its exit mapping), applylog.go
// (the JSON Lines log) and dryrun.go (the dry-run overlay).
//
// prune renders nothing: package render does.
package prune
