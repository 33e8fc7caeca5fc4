package render

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/dockctl/dockctl/internal/explain"
)

// ExplainResult is the answer of `dockctl explain TOPIC` in a format
// (text or json) and, for text, a language ("en", "zh" or "both"; JSON has
// both).
type ExplainResult struct {
	Answer       explain.Document
	Format, Lang string
}

// Document is the answer's JSON document.
func (r ExplainResult) Document() any { return r.Answer }

// Render writes the answer. As text: the whole catalogue under its group
// headings; an operation's heading ("dockctl prune:") and its commands'
// lines; or a command's or status's line. Entries dockctl completed or
// added are marked as such. As JSON: the Document, indented, not
// HTML-escaped (the notes quote commands with < and >).
func (r ExplainResult) Render(w io.Writer) error {
	var b bytes.Buffer
	if r.Format == "json" {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r.Answer); err != nil {
			return err
		}
	} else {
		writeExplainAnswer(&b, r.Answer, r.Lang)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeExplainAnswer(b *bytes.Buffer, a explain.Document, lang string) {
	switch {
	case a.Groups != nil:
		for i, g := range a.Groups {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(g.Title(lang) + "\n")
			for _, e := range g.Entries {
				writeExplainEntry(b, "  ", e, lang, false)
			}
		}
	case a.Heading != "":
		b.WriteString(a.Heading + "\n")
		for _, e := range a.Entries {
			writeExplainEntry(b, "  ", e, lang, true)
		}
	default:
		for _, e := range a.Entries {
			writeExplainEntry(b, "", e, lang, true)
		}
	}
}

// writeExplainEntry writes e's line and, when dockctl completed the
// document's text, a note saying where the document stops. markSource adds
// "[dockctl]" to entries dockctl wrote (the catalogue's group headings say
// it already).
func writeExplainEntry(b *bytes.Buffer, indent string, e explain.Entry, lang string, markSource bool) {
	line := e.Line(lang)
	if markSource && e.Source == explain.SourceDockctl {
		line += " " + sourceMark(lang)
	}
	b.WriteString(indent + line + "\n")
	if e.Completed {
		b.WriteString(indent + "  " + completedNote(e, lang) + "\n")
	}
}

func sourceMark(lang string) string {
	switch lang {
	case explain.LangZH:
		return "[dockctl补充]"
	case explain.LangBoth:
		return "[dockctl补充 / added by dockctl]"
	default:
		return "[added by dockctl]"
	}
}

func completedNote(e explain.Entry, lang string) string {
	zh := "（文档原文止于“" + e.Original + "”，其余由dockctl补全）"
	en := "(the document's text stops at “" + e.Original + "”; dockctl completed it)"
	switch lang {
	case explain.LangZH:
		return zh
	case explain.LangBoth:
		return zh + " " + en
	default:
		return en
	}
}
