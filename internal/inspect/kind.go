package inspect

import "strings"

// Kind names one type of engine object: the one enum of object kinds. It
// marshals as its plural name ("images"), the name the command line, the
// inventory and the plan's scope use; Singular is the name of one object
// ("image"), the name a plan item's type is derived from.
type Kind string

// The kinds dockctl inventories.
const (
	KindImages     Kind = "images"
	KindContainers Kind = "containers"
	KindVolumes    Kind = "volumes"
	KindNetworks   Kind = "networks"
	KindBuildCache Kind = "buildcache"
	// KindLogs is containers' json-file logs: not an engine object and
	// not inventoried on its own (they are files of containers), so it is
	// in no list of Kinds; only `prune logs` names it.
	KindLogs Kind = "logs"
)

// Kinds lists every kind in docker's prune order (containers first, so
// what they free is counted for the rest).
var Kinds = []Kind{KindContainers, KindNetworks, KindVolumes, KindImages, KindBuildCache}

// ListingOrder is the kinds as help texts and completion list them, the
// order of `docker system df`: images first.
var ListingOrder = []Kind{KindImages, KindContainers, KindVolumes, KindNetworks, KindBuildCache}

// kindInfo is what each kind is called.
var kindInfo = map[Kind]struct {
	singular, title string
	aliases         []string // other names the command line takes
}{
	KindImages:     {"image", "Images", []string{"image", "img"}},
	KindContainers: {"container", "Containers", []string{"container"}},
	KindVolumes:    {"volume", "Volumes", []string{"volume", "vol"}},
	KindNetworks:   {"network", "Networks", []string{"network", "net"}},
	KindBuildCache: {"build cache record", "Build cache", []string{"build-cache", "cache", "builder"}},
	KindLogs:       {"log", "Logs", []string{"log"}},
}

// String is the kind's plural name.
func (k Kind) String() string { return string(k) }

// Singular names one object of the kind: "image", "build cache record".
func (k Kind) Singular() string { return kindInfo[k].singular }

// Title heads the kind's section in a table: "Images", "Build cache".
func (k Kind) Title() string { return kindInfo[k].title }

// Aliases are the other names the command line takes for the kind
// (docker's habits: img, vol, net, builder).
func (k Kind) Aliases() []string { return kindInfo[k].aliases }

// Named reports whether objects of the kind have names and labels (build
// cache records have neither).
func (k Kind) Named() bool { return k != KindBuildCache }

// ParseKind reads a kind as the command line gives it: its plural name or
// an alias ("image", "img", "build-cache", "builder"), in any case.
func ParseKind(s string) (Kind, bool) {
	s = strings.ToLower(s)
	for _, k := range Kinds {
		if s == string(k) {
			return k, true
		}
		for _, a := range kindInfo[k].aliases {
			if s == a {
				return k, true
			}
		}
	}
	return "", false
}

// ParsePruneKind reads a kind prune takes: ParseKind's, and logs.
func ParsePruneKind(s string) (Kind, bool) {
	if k, ok := ParseKind(s); ok {
		return k, true
	}
	s = strings.ToLower(s)
	if s == string(KindLogs) || s == kindInfo[KindLogs].aliases[0] {
		return KindLogs, true
	}
	return "", false
}

// KindNames are the kinds' plural names in ListingOrder, for help texts,
// argument lists and completion.
func KindNames() []string {
	out := make([]string, len(ListingOrder))
	for i, k := range ListingOrder {
		out[i] = string(k)
	}
	return out
}
