package render

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

// The rows of `dockctl inspect`, docker/cli formatter style: each kind's
// row is its inspect object (so a template's {{.ID}}, {{.SizeBytes}} and
// {{json .}} see the plain fields) plus one method per table column
// ({{.Size}}, {{.CreatedSince}}): the default table is itself a template
// over the rows, so the table and --format share one path and a template
// can name any column the table shows.

// rowContext is what a row's columns need besides the object.
type rowContext struct {
	now     time.Time
	noTrunc bool
}

func (c rowContext) id(s string) string { return ShortID(s, c.noTrunc) }

// ImageRow is a row of `inspect images`.
type ImageRow struct {
	inspect.Image
	c rowContext
}

// ImageID is the IMAGE ID column: the short id unless --no-trunc.
func (r ImageRow) ImageID() string { return r.c.id(r.ID) }

// TagList is the TAGS column.
func (r ImageRow) TagList() string { return orNone(r.Tags, "<none>") }

// CreatedSince is the CREATED column: "3 days ago".
func (r ImageRow) CreatedSince() string { return Ago(r.Created, r.c.now) }

// Size is the SIZE column.
func (r ImageRow) Size() string { return Size(r.SizeBytes) }

// Shared is the SHARED column.
func (r ImageRow) Shared() string { return Size(r.SharedBytes) }

// Unique is the UNIQUE column.
func (r ImageRow) Unique() string { return Size(r.UniqueBytes) }

// ContainerCount is the CONTAINERS column (N/A when unknown).
func (r ImageRow) ContainerCount() string { return count(r.Containers) }

func (r ImageRow) quietID() string { return r.c.id(r.ID) }

// ContainerRow is a row of `inspect containers`.
type ContainerRow struct {
	inspect.Container
	c rowContext
}

// ContainerID is the CONTAINER ID column.
func (r ContainerRow) ContainerID() string { return r.c.id(r.ID) }

// ImageRef is the IMAGE column: the reference, or the short id of an
// untagged image.
func (r ContainerRow) ImageRef() string {
	if strings.HasPrefix(r.Image, "sha256:") {
		return r.c.id(r.Image)
	}
	return r.Image
}

// CreatedSince is the CREATED column.
func (r ContainerRow) CreatedSince() string { return Ago(r.Created, r.c.now) }

// Size is the SIZE column: the writable layer.
func (r ContainerRow) Size() string { return Size(r.SizeBytes) }

// RootFS is the ROOT FS column.
func (r ContainerRow) RootFS() string { return Size(r.RootFSBytes) }

// LogSize is the LOG SIZE column: the container's log files on disk, N/A
// when the storage probe could not measure them. The default table shows
// it only when the probe ran (InspectOptions.LogSizes).
func (r ContainerRow) LogSize() string { return Size(r.LogBytes) }

// VolumeList is the VOLUMES column.
func (r ContainerRow) VolumeList() string { return orNone(r.Volumes, "-") }

// Project is the PROJECT column: the compose project, or -.
func (r ContainerRow) Project() string { return project(r.ComposeProject) }

func (r ContainerRow) quietID() string { return r.c.id(r.ID) }

// VolumeRow is a row of `inspect volumes`.
type VolumeRow struct {
	inspect.Volume
	c rowContext
}

// VolumeName is the VOLUME NAME column.
func (r VolumeRow) VolumeName() string { return r.Name }

// Size is the SIZE column.
func (r VolumeRow) Size() string { return Size(r.SizeBytes) }

// Links is the LINKS column: the containers using it (N/A when unknown).
func (r VolumeRow) Links() string { return count(r.RefCount) }

// Type is the TYPE column: named or anonymous.
func (r VolumeRow) Type() string {
	if r.Anonymous {
		return "anonymous"
	}
	return "named"
}

// Project is the PROJECT column.
func (r VolumeRow) Project() string { return project(r.ComposeProject) }

// A volume's name is its id, never shortened.
func (r VolumeRow) quietID() string { return r.Name }

// NetworkRow is a row of `inspect networks`.
type NetworkRow struct {
	inspect.Network
	c rowContext
}

// NetworkID is the NETWORK ID column.
func (r NetworkRow) NetworkID() string { return r.c.id(r.ID) }

// ContainerCount is the CONTAINERS column.
func (r NetworkRow) ContainerCount() string { return strconv.Itoa(len(r.Containers)) }

// BuiltIn is the BUILT-IN column: yes for bridge, host and none.
func (r NetworkRow) BuiltIn() string { return yesNo(r.Builtin) }

// Project is the PROJECT column.
func (r NetworkRow) Project() string { return project(r.ComposeProject) }

func (r NetworkRow) quietID() string { return r.c.id(r.ID) }

// BuildCacheRow is a row of `inspect buildcache`.
type BuildCacheRow struct {
	inspect.BuildCacheRecord
	c rowContext
}

// CacheID is the CACHE ID column.
func (r BuildCacheRow) CacheID() string { return r.c.id(r.ID) }

// Size is the SIZE column.
func (r BuildCacheRow) Size() string { return Size(r.SizeBytes) }

// InUseText is the IN USE column: yes or no.
func (r BuildCacheRow) InUseText() string { return yesNo(r.InUse) }

// SharedText is the SHARED column: yes or no.
func (r BuildCacheRow) SharedText() string { return yesNo(r.Shared) }

// CreatedSince is the CREATED column.
func (r BuildCacheRow) CreatedSince() string { return Ago(r.Created, r.c.now) }

// LastUsedSince is the LAST USED column.
func (r BuildCacheRow) LastUsedSince() string { return Ago(r.LastUsed, r.c.now) }

// Usage is the USAGE column: how many times the record was used.
func (r BuildCacheRow) Usage() string { return strconv.Itoa(r.UsageCount) }

func (r BuildCacheRow) quietID() string { return r.c.id(r.ID) }

func project(p string) string { return orNone(nonEmpty(p), "-") }

// columnHeaders are the headings of the columns whose heading is not
// their name in capitals; a `table` template uses them too.
var columnHeaders = map[string]string{
	"ImageID": "IMAGE ID", "TagList": "TAGS", "CreatedSince": "CREATED", "ContainerCount": "CONTAINERS",
	"ContainerID": "CONTAINER ID", "ImageRef": "IMAGE", "RootFS": "ROOT FS", "VolumeList": "VOLUMES", "LogSize": "LOG SIZE",
	"VolumeName": "VOLUME NAME", "NetworkID": "NETWORK ID", "BuiltIn": "BUILT-IN",
	"CacheID": "CACHE ID", "InUseText": "IN USE", "SharedText": "SHARED", "LastUsedSince": "LAST USED",
}

// kindView is how one kind is listed: its objects, its rows and its
// default table.
type kindView struct {
	items func(*inspect.Inventory) []any
	rows  func(*inspect.Inventory, rowContext) []any
	zero  any    // an empty row, to try a template on
	table string // the default table, a template over the rows
}

// containersTable and containersLogTable are the default tables of
// `inspect containers`, without and with the storage probe's LOG SIZE.
const (
	containersTable    = `table {{.ContainerID}}\t{{.Name}}\t{{.ImageRef}}\t{{.State}}\t{{.Status}}\t{{.CreatedSince}}\t{{.Size}}\t{{.RootFS}}\t{{.VolumeList}}\t{{.Project}}`
	containersLogTable = `table {{.ContainerID}}\t{{.Name}}\t{{.ImageRef}}\t{{.State}}\t{{.Status}}\t{{.CreatedSince}}\t{{.Size}}\t{{.RootFS}}\t{{.LogSize}}\t{{.VolumeList}}\t{{.Project}}`
)

var kindViews = map[inspect.Kind]kindView{
	inspect.KindImages: view(func(inv *inspect.Inventory) []inspect.Image { return inv.Images },
		func(v inspect.Image, c rowContext) ImageRow { return ImageRow{v, c} },
		`table {{.ImageID}}\t{{.TagList}}\t{{.CreatedSince}}\t{{.Size}}\t{{.Shared}}\t{{.Unique}}\t{{.ContainerCount}}`),
	inspect.KindContainers: view(func(inv *inspect.Inventory) []inspect.Container { return inv.Containers },
		func(v inspect.Container, c rowContext) ContainerRow { return ContainerRow{v, c} },
		containersLogTable),
	inspect.KindVolumes: view(func(inv *inspect.Inventory) []inspect.Volume { return inv.Volumes },
		func(v inspect.Volume, c rowContext) VolumeRow { return VolumeRow{v, c} },
		`table {{.VolumeName}}\t{{.Driver}}\t{{.Size}}\t{{.Links}}\t{{.Type}}\t{{.Project}}`),
	inspect.KindNetworks: view(func(inv *inspect.Inventory) []inspect.Network { return inv.Networks },
		func(v inspect.Network, c rowContext) NetworkRow { return NetworkRow{v, c} },
		`table {{.NetworkID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.ContainerCount}}\t{{.BuiltIn}}\t{{.Project}}`),
	inspect.KindBuildCache: view(func(inv *inspect.Inventory) []inspect.BuildCacheRecord { return inv.BuildCache },
		func(v inspect.BuildCacheRecord, c rowContext) BuildCacheRow { return BuildCacheRow{v, c} },
		`table {{.CacheID}}\t{{.Type}}\t{{.Size}}\t{{.InUseText}}\t{{.SharedText}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.Usage}}`),
}

// view is the kindView of the objects list returns, each shown as the row
// row makes of it, in the default table table.
func view[T, R any](list func(*inspect.Inventory) []T, row func(T, rowContext) R, table string) kindView {
	return kindView{
		items: func(inv *inspect.Inventory) []any { return anys(list(inv), func(v T) any { return v }) },
		rows: func(inv *inspect.Inventory, c rowContext) []any {
			return anys(list(inv), func(v T) any { return row(v, c) })
		},
		zero:  row(*new(T), rowContext{}),
		table: table,
	}
}

// anys maps list to []any (nil for an empty list).
func anys[T any](list []T, f func(T) any) []any {
	var out []any
	for _, v := range list {
		out = append(out, f(v))
	}
	return out
}

// TemplateColumns lists the columns a --format template can name for kind
// besides the object's fields (see the JSON document for those): the
// methods of its row, in the order of the default table.
func TemplateColumns(kind inspect.Kind) []string {
	var out []string
	for _, m := range fieldRef.FindAllStringSubmatch(kindViews[kind].table, -1) {
		if _, isMethod := reflect.TypeOf(kindViews[kind].zero).MethodByName(m[1]); isMethod {
			out = append(out, m[1])
		}
	}
	return out
}

// TemplateFields lists a kind's object fields a template can name, in
// Go's spelling ({{.ID}}, {{.SizeBytes}}): the model's exported fields,
// which are the JSON document's keys.
func TemplateFields(kind inspect.Kind) []string {
	var out []string
	row := reflect.TypeOf(kindViews[kind].zero)
	for i := 0; i < row.NumField(); i++ {
		if f := row.Field(i); f.Anonymous {
			for j := 0; j < f.Type.NumField(); j++ {
				if sf := f.Type.Field(j); sf.IsExported() {
					out = append(out, sf.Name)
				}
			}
		}
	}
	return out
}
