package inspect

import (
	"fmt"
	"sort"
	"strings"
)

// Ref is one object a name or id given on the command line stands for.
type Ref struct {
	Kind Kind
	// ID is the object's id (a volume's name).
	ID string
	// Name is what the object is called: a tag, a container, volume or
	// network name; the short id of an untagged image.
	Name string
}

// String names the object for an error listing candidates: "image app:1
// (sha256:0123456789ab)".
func (r Ref) String() string {
	if r.Name == r.ID {
		return r.Kind.Singular() + " " + r.Name
	}
	return fmt.Sprintf("%s %s (%s)", r.Kind.Singular(), r.Name, shortRefID(r.ID))
}

func shortRefID(id string) string {
	bare := strings.TrimPrefix(id, "sha256:")
	if len(bare) > 12 {
		bare = bare[:12]
	}
	if strings.HasPrefix(id, "sha256:") {
		return "sha256:" + bare
	}
	return bare
}

// FamiliarRef is an image reference as `docker images` shows it:
// docker.io/ and library/ dropped, :latest added when it has no tag or
// digest. Two references name the same image tag exactly when their
// familiar forms are equal.
func FamiliarRef(ref string) string {
	ref = strings.TrimPrefix(ref, "docker.io/")
	ref = strings.TrimPrefix(ref, "library/")
	if !strings.Contains(ref, "@") && strings.LastIndex(ref, ":") <= strings.LastIndex(ref, "/") {
		ref += ":latest"
	}
	return ref
}

// Resolve finds the objects s names, as `docker inspect` looks an
// argument up in every object type: an image tag or digest, a container,
// volume or network name, or a full id. Only when nothing has that name
// is s taken as an id prefix (of an image, container or network). More
// than one result is ambiguous; none is not found. Build cache records
// are not resolved: they have no names.
func Resolve(inv *Inventory, s string) []Ref {
	if s == "" {
		return nil
	}
	var exact, prefix []Ref
	match := func(r Ref, names []string, ids ...string) {
		for _, n := range names {
			if n == s {
				exact = append(exact, r)
				return
			}
		}
		for _, id := range ids {
			bare := strings.TrimPrefix(id, "sha256:")
			switch {
			case id == s || bare == s:
				exact = append(exact, r)
				return
			case strings.HasPrefix(id, s) || strings.HasPrefix(bare, s):
				prefix = append(prefix, r)
				return
			}
		}
	}
	familiar := FamiliarRef(s)
	for _, img := range inv.Images {
		tags := append([]string{}, img.Tags...)
		sort.Strings(tags)
		r := Ref{Kind: KindImages, ID: img.ID, Name: shortRefID(img.ID)}
		if len(tags) > 0 {
			r.Name = tags[0]
		}
		var names []string
		for _, t := range append(tags, img.Digests...) {
			if FamiliarRef(t) == familiar {
				r.Name, names = t, []string{s}
				break
			}
		}
		match(r, names, img.ID)
	}
	for _, c := range inv.Containers {
		match(Ref{Kind: KindContainers, ID: c.ID, Name: c.Name}, []string{c.Name, "/" + c.Name}, c.ID)
	}
	for _, v := range inv.Volumes {
		// A volume has no id but its name, and docker takes no prefix of it.
		if v.Name == s {
			exact = append(exact, Ref{Kind: KindVolumes, ID: v.Name, Name: v.Name})
		}
	}
	for _, n := range inv.Networks {
		match(Ref{Kind: KindNetworks, ID: n.ID, Name: n.Name}, []string{n.Name}, n.ID)
	}
	if len(exact) > 0 {
		return exact
	}
	return prefix
}

// Users names what uses an object: the containers created from an image,
// mounting a volume or attached to a network, by name and sorted.
func Users(inv *Inventory, r Ref) []string {
	var out []string
	switch r.Kind {
	case KindImages:
		for _, c := range inv.Containers {
			if c.ImageID == r.ID {
				out = append(out, c.Name)
			}
		}
	case KindVolumes:
		for _, v := range inv.Volumes {
			if v.Name == r.ID {
				out = append(out, v.Containers...)
			}
		}
	case KindNetworks:
		for _, n := range inv.Networks {
			if n.ID == r.ID {
				out = append(out, n.Containers...)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Object is the inventory's record of r: an Image, Container, Volume or
// Network; nil if the inventory does not hold it.
func Object(inv *Inventory, r Ref) any {
	switch r.Kind {
	case KindImages:
		return find(inv.Images, func(o Image) bool { return o.ID == r.ID })
	case KindContainers:
		return find(inv.Containers, func(o Container) bool { return o.ID == r.ID })
	case KindVolumes:
		return find(inv.Volumes, func(o Volume) bool { return o.Name == r.ID })
	case KindNetworks:
		return find(inv.Networks, func(o Network) bool { return o.ID == r.ID })
	}
	return nil
}

// find returns the first of list that is the one, or nil.
func find[T any](list []T, is func(T) bool) any {
	for _, o := range list {
		if is(o) {
			return o
		}
	}
	return nil
}
