package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/dockctl/dockctl/internal/explain"
)

// explainText and explainJSON render the answer of topic.
func explainText(w io.Writer, topic, lang string) error { return explainAs(w, topic, "text", lang) }
func explainJSON(w io.Writer, topic string) error       { return explainAs(w, topic, "json", "") }

func explainAs(w io.Writer, topic, format, lang string) error {
	a, err := explain.Answer(topic)
	if err != nil {
		return err
	}
	return ExplainResult{Answer: a, Format: format, Lang: lang}.Render(w)
}

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

func TestExplainGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			var err error
			if tc.format == "json" {
				err = explainJSON(&out, tc.topic)
			} else {
				err = explainText(&out, tc.topic, tc.lang)
			}
			if err != nil {
				t.Fatal(err)
			}
			// go test ./internal/render -update rewrites the file.
			golden.Assert(t, out.String(), "explain_"+tc.name+".golden")
		})
	}
}

func TestExplainJSONShape(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := explainJSON(&out, ""); err != nil {
		t.Fatal(err)
	}
	var doc explain.Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "dockctl.explain/v1" || doc.Topic != "" || len(doc.Entries) != len(explain.All()) || len(doc.Groups) != len(explain.Groups()) {
		t.Errorf("whole catalogue JSON: schema %q topic %q, %d entries, %d groups", doc.Schema, doc.Topic, len(doc.Entries), len(doc.Groups))
	}
	out.Reset()
	if err := explainJSON(&out, "prune images"); err != nil {
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

func TestExplainWritesNothingOnError(t *testing.T) {
	t.Parallel()
	for _, write := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return explainText(b, "prun", "en") },
		func(b *bytes.Buffer) error { return explainJSON(b, "prun") },
	} {
		var out bytes.Buffer
		err := write(&out)
		var te *explain.TopicError
		if !errors.As(err, &te) {
			t.Errorf("error %v, want a *explain.TopicError", err)
		}
		if out.Len() != 0 {
			t.Errorf("wrote %q on error", out.String())
		}
	}
}
