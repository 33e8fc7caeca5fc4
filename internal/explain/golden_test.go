package explain

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// GoldenCases are the `dockctl explain` outputs kept under
// testdata/explain_<name>.golden; cmd's tests compare the command's real
// output with the same files.
var goldenCases = []struct {
	name, topic, lang, format string
}{
	{"all_both", "", "both", "text"},
	{"all_en", "", "en", "text"},
	{"all_zh", "", "zh", "text"},
	{"prune_both", "prune", "both", "text"},
	{"prune_images_en", "prune images", "en", "text"},
	{"inspect_zh", "inspect", "zh", "text"},
	{"docker_volume_prune_both", "docker volume prune", "both", "text"},
	{"404_both", "404", "both", "text"},
	{"prune_json", "prune", "", "json"},
	{"docker_rmi_json", "docker rmi", "", "json"},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			var err error
			if tc.format == "json" {
				err = WriteJSON(&out, tc.topic)
			} else {
				err = WriteText(&out, tc.topic, tc.lang)
			}
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "explain_"+tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./explain/ -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("output differs from %s (run go test ./explain/ -update and review the diff)\n--- got\n%s", path, out.String())
			}
		})
	}
}

func TestWriteJSONShape(t *testing.T) {
	var out bytes.Buffer
	if err := WriteJSON(&out, ""); err != nil {
		t.Fatal(err)
	}
	var doc Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "dockctl.explain/v1" || doc.Topic != "" || len(doc.Entries) != len(All()) || len(doc.Groups) != len(Groups()) {
		t.Errorf("whole catalogue JSON: schema %q topic %q, %d entries, %d groups", doc.Schema, doc.Topic, len(doc.Entries), len(doc.Groups))
	}
	out.Reset()
	if err := WriteJSON(&out, "prune images"); err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["groups"]; ok || len(m) != 3 {
		t.Errorf("topic JSON has keys %v, want schema, topic, entries", m)
	}
}

func TestWritersWriteNothingOnError(t *testing.T) {
	for _, write := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return WriteText(b, "prun", "en") },
		func(b *bytes.Buffer) error { return WriteJSON(b, "prun") },
	} {
		var out bytes.Buffer
		err := write(&out)
		var te *TopicError
		if !errors.As(err, &te) {
			t.Errorf("error %v, want a *TopicError", err)
		}
		if out.Len() != 0 {
			t.Errorf("wrote %q on error", out.String())
		}
	}
}
