package render

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

// ObjectSchema names the JSON document `dockctl inspect NAME|ID --format
// json` prints.
const ObjectSchema = "dockctl.object/v1"

// ObjectFormats are the formats an object's view is written in.
var ObjectFormats = []string{"table", "json"}

// ObjectDecision is what one prune command line would do to an object.
type ObjectDecision struct {
	// Command is the prune command line the decision is for.
	Command string `json:"command"`
	// Action is remove, untag or keep.
	Action string `json:"action"`
	// Name is what the plan calls the object (the tag an untag removes).
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	Reason string `json:"reason"`
}

// ObjectResult is one object's dockctl view: its record in the inventory,
// what uses it, and what prune would do to it and why.
type ObjectResult struct {
	Ref    inspect.Ref
	Object any
	Users  []string
	Prune  []ObjectDecision
	Format string
	Now    time.Time
}

type objectDoc struct {
	Schema string           `json:"schema"`
	Kind   inspect.Kind     `json:"kind"`
	ID     string           `json:"id"`
	Name   string           `json:"name"`
	Object any              `json:"object"`
	Users  []string         `json:"users"`
	Prune  []ObjectDecision `json:"prune"`
}

// Document is the object's JSON document.
func (r ObjectResult) Document() any {
	return objectDoc{Schema: ObjectSchema, Kind: r.Ref.Kind, ID: r.Ref.ID, Name: r.Ref.Name,
		Object: r.Object, Users: nonNil(r.Users), Prune: nonNil(r.Prune)}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Render writes the view as a table (the object's fields, its users, one
// row per prune command line) or as JSON.
func (r ObjectResult) Render(w io.Writer) error {
	if r.Format == "json" {
		return writeJSON(w, r.Document())
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "%s %s\n", strings.ToUpper(r.Ref.Kind.Singular()[:1])+r.Ref.Kind.Singular()[1:], Clean(r.Ref.Name))
	for _, f := range objectFields(r.Object, r.Now) {
		fmt.Fprintf(tw, "  %s\t%s\n", f[0], Clean(f[1]))
	}
	users := "none"
	if len(r.Users) > 0 {
		users = strings.Join(r.Users, ", ")
	}
	fmt.Fprintf(tw, "  users\t%s\n", Clean(users))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nPrune would:")
	tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "  COMMAND\tACTION\tNAME\tSIZE\tREASON")
	for _, d := range r.Prune {
		size := ""
		if d.Action != "keep" {
			size = Size(d.Bytes)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", d.Command, d.Action, Clean(d.Name), size, Clean(d.Reason))
	}
	return tw.Flush()
}

// objectFields lists a model struct's fields as name and text, in the
// struct's order, named as its JSON keys; empty ones are left out, sizes
// read as sizes, times as dates and ages, sets joined.
func objectFields(obj any, now time.Time) [][2]string {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Struct {
		return nil
	}
	var out [][2]string
	for i := 0; i < v.NumField(); i++ {
		sf := v.Type().Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		fv := v.Field(i)
		var text string
		switch x := fv.Interface().(type) {
		case time.Time:
			if x.IsZero() {
				continue
			}
			text = x.UTC().Format(time.RFC3339) + " (" + Ago(x, now) + ")"
		case int64:
			if strings.HasSuffix(name, "_bytes") {
				text = Size(x)
			} else {
				text = fmt.Sprint(x)
			}
		case []string:
			if len(x) == 0 {
				continue
			}
			text = strings.Join(x, ", ")
		case map[string]string:
			if len(x) == 0 {
				continue
			}
			kv := make([]string, 0, len(x))
			for k, val := range x {
				kv = append(kv, k+"="+val)
			}
			sort.Strings(kv)
			text = strings.Join(kv, ", ")
		case []inspect.Layer:
			if len(x) == 0 {
				continue
			}
			text = Count(len(x), "layer")
		case string:
			if x == "" {
				continue
			}
			text = x
		default:
			text = fmt.Sprint(x)
		}
		out = append(out, [2]string{name, text})
	}
	return out
}
