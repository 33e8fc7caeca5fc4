package explain

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// JSONSchema names the shape WriteJSON writes.
const JSONSchema = "dockctl.explain/v1"

// Document is what WriteJSON writes: {"schema", "topic", "entries"}, plus
// "groups" when the topic is empty (the whole catalogue).
type Document struct {
	Schema  string  `json:"schema"`
	Topic   string  `json:"topic"`
	Entries []Entry `json:"entries"`
	Groups  []Group `json:"groups,omitempty"`
}

// Formats are the formats explain writes: WriteText and WriteJSON.
var Formats = []string{"text", "json"}

// WriteText writes `dockctl explain TOPIC` as text in lang ("en", "zh" or
// "both"). An empty topic writes the whole catalogue under its group
// headings; an operation writes "dockctl OP:" and its commands' lines; a
// command or status writes its line. Entries dockctl completed or added are
// marked as such. Nothing is written when topic is unknown: the error is
// Resolve's *TopicError.
func WriteText(w io.Writer, topic, lang string) error {
	entries, err := Resolve(topic)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if clean(topic) == "" {
		for i, g := range Groups() {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(g.Title(lang) + "\n")
			for _, e := range g.Entries {
				writeEntry(&b, "  ", e, lang, false)
			}
		}
	} else if head := describeTopic(topic); head != "" {
		b.WriteString(head + "\n")
		for _, e := range entries {
			writeEntry(&b, "  ", e, lang, true)
		}
	} else {
		for _, e := range entries {
			writeEntry(&b, "", e, lang, true)
		}
	}
	_, err = w.Write(b.Bytes())
	return err
}

// writeEntry writes e's line and, when dockctl completed the document's
// text, a note saying where the document stops. markSource adds
// "[dockctl]" to entries dockctl wrote (the catalogue's group headings say
// it already).
func writeEntry(b *bytes.Buffer, indent string, e Entry, lang string, markSource bool) {
	line := e.Line(lang)
	if markSource && e.Source == SourceDockctl {
		line += " " + sourceMark(lang)
	}
	b.WriteString(indent + line + "\n")
	if e.Completed {
		b.WriteString(indent + "  " + completedNote(e, lang) + "\n")
	}
}

func sourceMark(lang string) string {
	switch lang {
	case LangZH:
		return "[dockctl补充]"
	case LangBoth:
		return "[dockctl补充 / added by dockctl]"
	default:
		return "[added by dockctl]"
	}
}

func completedNote(e Entry, lang string) string {
	zh := "（文档原文止于“" + e.Original + "”，其余由dockctl补全）"
	en := "(the document's text stops at “" + e.Original + "”; dockctl completed it)"
	switch lang {
	case LangZH:
		return zh
	case LangBoth:
		return zh + " " + en
	default:
		return en
	}
}

// WriteJSON writes `dockctl explain TOPIC --format json`: a Document,
// indented, with both languages in every entry. Nothing is written when
// topic is unknown: the error is Resolve's *TopicError.
func WriteJSON(w io.Writer, topic string) error {
	entries, err := Resolve(topic)
	if err != nil {
		return err
	}
	doc := Document{Schema: JSONSchema, Topic: strings.TrimSpace(topic), Entries: entries}
	if doc.Topic == "" {
		doc.Groups = Groups()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}
