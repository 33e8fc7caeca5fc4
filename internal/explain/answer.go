package explain

import (
	"strings"
)

// JSONSchema names the JSON document of an answer.
const JSONSchema = "dockctl.explain/v1"

// Document is an answer as its JSON document has it: {"schema", "topic",
// "entries"}, plus "groups" when the topic is empty (the whole catalogue).
type Document struct {
	Schema  string  `json:"schema"`
	Topic   string  `json:"topic"`
	Entries []Entry `json:"entries"`
	Groups  []Group `json:"groups,omitempty"`
	// Heading heads an operation's commands in text ("dockctl prune:"),
	// "" for a command, a status or the whole catalogue.
	Heading string `json:"-"`
}

// Formats are the formats `dockctl explain` writes: table (the text, as
// every command names its default) and json.
var Formats = []string{"table", "json"}

// Answer is the answer to `dockctl explain TOPIC`: the entries, the groups
// when topic is empty (the whole catalogue), and the heading of an
// operation's commands. An unknown topic is Resolve's *TopicError.
func Answer(topic string) (Document, error) {
	entries, err := Resolve(topic)
	if err != nil {
		return Document{}, err
	}
	doc := Document{Schema: JSONSchema, Topic: strings.TrimSpace(topic), Entries: entries, Heading: describeTopic(topic)}
	if clean(topic) == "" {
		doc.Groups = Groups()
	}
	return doc, nil
}
