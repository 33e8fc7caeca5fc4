package explain

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Sources of an entry.
const (
	SourceDocument = "document" // the study notes, text kept exactly as written
	SourceDockctl  = "dockctl"  // written by dockctl where the notes have nothing
)

// Languages accepted by Entry.Line, Entry.Text and Group.Title.
const (
	LangEN   = "en"
	LangZH   = "zh"
	LangBoth = "both"
)

// Sections of the catalogue, in the order Groups returns them.
const (
	SectionDocker = "docker"
	SectionLinux  = "Linux"
	SectionHTTP   = "HTTP"
	SectionTCP    = "TCP"
)

// Entry is one explained command, HTTP status or topic.
//
// Its JSON form is {"command", "zh", "en", "source"}, plus "completed" and
// "original" on the entries dockctl had to complete.
type Entry struct {
	// Command as the document gives it, e.g. "docker rmi [OPTIONS] IMAGE
	// [IMAGE...]" or "df"; for HTTP statuses "HTTP 404 Not Found".
	Command string `json:"command"`
	// ZH is the Chinese explanation; for source "document" exactly as the
	// document writes it.
	ZH string `json:"zh"`
	// EN is the English explanation (a translation of ZH).
	EN string `json:"en"`
	// Source is SourceDocument or SourceDockctl.
	Source string `json:"source"`
	// Completed is set when the document's text was cut off and dockctl
	// completed ZH (and wrote EN for the whole); Original then holds the
	// document's text as written, a prefix of ZH.
	Completed bool   `json:"completed,omitempty"`
	Original  string `json:"original,omitempty"`

	// Key is the lookup key: the command without syntax placeholders
	// ("docker rmi", "docker system df -v", "df"), "http 404" for statuses.
	Key string `json:"-"`
	// Section is SectionDocker, SectionLinux, SectionHTTP or SectionTCP.
	Section string `json:"-"`
	// Code is the HTTP status code of HTTP entries, 0 otherwise.
	Code int `json:"-"`
}

// Group is a titled list of entries: one of the document's docker groups
// (镜像操作, 容器操作, …), dockctl's own docker commands, the Linux command
// table, one of the HTTP status categories, or TCP.
type Group struct {
	Section string  `json:"section"` // SectionDocker, SectionLinux, …
	ZH      string  `json:"zh"`      // the group's name in the document, e.g. "镜像操作"
	EN      string  `json:"en"`      // its English name, e.g. "Image operations"
	Source  string  `json:"source"`  // SourceDocument or SourceDockctl
	Entries []Entry `json:"entries"`
}

// Text returns the explanation alone in lang: "en" gives EN, "zh" gives ZH,
// "both" gives "ZH (EN)". Any other lang is treated as "en".
func (e Entry) Text(lang string) string {
	return pick(lang, e.ZH, e.EN)
}

// Line returns the one-line annotation dockctl prints next to an operation:
//
//	both: "≈ docker rmi IMAGE [IMAGE...] — 移除一个或多个镜像 (remove one or more images)"
//	zh:   "≈ docker rmi IMAGE [IMAGE...] — 移除一个或多个镜像"
//	en:   "≈ docker rmi IMAGE [IMAGE...] — remove one or more images"
//
// The command is shown without its "[OPTIONS]" placeholder. HTTP and TCP
// entries have no "≈ " ("HTTP 404 Not Found — …"). Any lang other than
// "zh" or "both" is treated as "en".
func (e Entry) Line(lang string) string {
	prefix := "≈ "
	if e.Section == SectionHTTP || e.Section == SectionTCP {
		prefix = ""
	}
	return prefix + displayCommand(e.Command) + " — " + e.Text(lang)
}

// Title returns the group's heading in lang: "docker · 镜像操作 (Image
// operations)" for "both", "docker · 镜像操作" for "zh", "docker · Image
// operations" for "en".
func (g Group) Title(lang string) string {
	return g.Section + " · " + pick(lang, g.ZH, g.EN)
}

func pick(lang, zh, en string) string {
	switch lang {
	case LangZH:
		return zh
	case LangBoth:
		return zh + " (" + en + ")"
	default:
		return en
	}
}

// displayCommand drops the "[OPTIONS]" placeholder: every docker command
// takes options, and the annotation reads better without it.
func displayCommand(cmd string) string {
	f := strings.Fields(cmd)
	out := f[:0:0]
	for _, w := range f {
		if w != "[OPTIONS]" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

//go:embed catalogue.json
var catalogueJSON []byte

type rawEntry struct {
	Command   string   `json:"command"`
	Code      int      `json:"code"`
	Reason    string   `json:"reason"`
	Key       string   `json:"key"`
	Aliases   []string `json:"aliases"`
	ZH        string   `json:"zh"`
	EN        string   `json:"en"`
	Source    string   `json:"source"`
	Completed bool     `json:"completed"`
	Original  string   `json:"original"`
}

type rawGroup struct {
	Section string     `json:"section"`
	ZH      string     `json:"zh"`
	EN      string     `json:"en"`
	Source  string     `json:"source"`
	Entries []rawEntry `json:"entries"`
}

type rawOperation struct {
	Name     string   `json:"name"`
	Commands []string `json:"commands"`
}

type rawCatalogue struct {
	Groups     []rawGroup     `json:"groups"`
	Operations []rawOperation `json:"operations"`
}

// catalogue is the parsed catalogue.json with its indexes.
type catalogue struct {
	groups   []Group
	byKey    map[string]Entry // keys and aliases, lower case
	bySyntax map[string]Entry // full and displayed command lines, lower case
	byCode   map[int]Entry
	ops      []string            // operation names in file order
	opKeys   map[string][]string // operation → entry keys
}

var cat = mustLoad(catalogueJSON)

func mustLoad(data []byte) *catalogue {
	c, err := load(data)
	if err != nil {
		panic("explain: catalogue.json: " + err.Error())
	}
	return c
}

func load(data []byte) (*catalogue, error) {
	var raw rawCatalogue
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	c := &catalogue{
		byKey:    map[string]Entry{},
		bySyntax: map[string]Entry{},
		byCode:   map[int]Entry{},
		opKeys:   map[string][]string{},
	}
	addKey := func(k string, e Entry) error {
		k = strings.ToLower(k)
		if prev, dup := c.byKey[k]; dup {
			return fmt.Errorf("key %q used by %q and %q", k, prev.Command, e.Command)
		}
		c.byKey[k] = e
		return nil
	}
	for _, rg := range raw.Groups {
		g := Group{Section: rg.Section, ZH: rg.ZH, EN: rg.EN, Source: rg.Source}
		for _, re := range rg.Entries {
			e := Entry{
				Command: re.Command, ZH: re.ZH, EN: re.EN, Source: re.Source,
				Completed: re.Completed, Original: re.Original,
				Key: re.Key, Section: rg.Section, Code: re.Code,
			}
			if re.Code != 0 {
				e.Command = fmt.Sprintf("HTTP %d %s", re.Code, re.Reason)
				e.Key = fmt.Sprintf("http %d", re.Code)
				if _, dup := c.byCode[re.Code]; dup {
					return nil, fmt.Errorf("HTTP status %d listed twice", re.Code)
				}
				c.byCode[re.Code] = e
			}
			if e.Key == "" {
				e.Key = keyOf(e.Command)
			}
			if e.Command == "" || e.ZH == "" || e.EN == "" || e.Key == "" {
				return nil, fmt.Errorf("incomplete entry %+v", re)
			}
			if e.Source != SourceDocument && e.Source != SourceDockctl {
				return nil, fmt.Errorf("%q: bad source %q", e.Command, e.Source)
			}
			if err := addKey(e.Key, e); err != nil {
				return nil, err
			}
			for _, a := range re.Aliases {
				if err := addKey(a, e); err != nil {
					return nil, err
				}
			}
			c.bySyntax[strings.ToLower(e.Command)] = e
			c.bySyntax[strings.ToLower(displayCommand(e.Command))] = e
			g.Entries = append(g.Entries, e)
		}
		c.groups = append(c.groups, g)
	}
	for _, op := range raw.Operations {
		if _, dup := c.opKeys[op.Name]; dup {
			return nil, fmt.Errorf("operation %q listed twice", op.Name)
		}
		for _, k := range op.Commands {
			if _, ok := c.byKey[k]; !ok {
				return nil, fmt.Errorf("operation %q: no entry with key %q", op.Name, k)
			}
		}
		c.ops = append(c.ops, op.Name)
		c.opKeys[op.Name] = op.Commands
	}
	return c, nil
}

// keyOf returns a command's words up to its first syntax placeholder
// ("[OPTIONS]", "IMAGE", "NAME|ID", "PATH", …), lower-cased: "docker rmi
// [OPTIONS] IMAGE [IMAGE...]" → "docker rmi". Lower-case flags stay:
// "docker system df -v" → "docker system df -v".
func keyOf(cmd string) string {
	return strings.ToLower(strings.Join(stripPlaceholders(strings.Fields(cmd)), " "))
}

func stripPlaceholders(words []string) []string {
	for i, w := range words {
		if isPlaceholder(w) {
			return words[:i]
		}
	}
	return words
}

func isPlaceholder(w string) bool {
	if strings.ContainsAny(w, "[|") {
		return true
	}
	return strings.ToUpper(w) == w && strings.ToLower(w) != w
}

// clean trims a user-typed key: surrounding space, backticks and quotes go,
// inner runs of white space become one space.
func clean(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "`'\"")
	return strings.Join(strings.Fields(s), " ")
}

var httpRe = regexp.MustCompile(`^(?i:http\s+)?([1-5][0-9][0-9])(?:\s.*)?$`)

// parseHTTP recognises "404", "HTTP 404" and "HTTP 404 Not Found".
func parseHTTP(s string) (int, bool) {
	m := httpRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	code, err := strconv.Atoi(m[1])
	return code, err == nil
}

// Lookup finds the entry for a docker or Linux command, an HTTP status or
// "tcp". It is forgiving:
//
//   - case and white space do not matter, nor surrounding backticks or quotes;
//   - a full syntax line works ("docker rmi [OPTIONS] IMAGE [IMAGE...]"), and
//     so do placeholders, trailing arguments and flags dockctl has no entry
//     for ("docker rmi abc123", "docker system prune -af" → "docker system
//     prune"; but "docker system df -v" and "docker ps -a" have their own);
//   - docker's long forms work ("docker image rm" → "docker rmi");
//   - the leading "docker" may be left out ("rmi", "system df") unless a
//     Linux command has that name: "ps" is the Linux ps, "docker ps" is
//     docker's;
//   - "404", "HTTP 404" and "HTTP 404 Not Found" give the status entry.
func Lookup(key string) (Entry, bool) {
	s := clean(key)
	if s == "" {
		return Entry{}, false
	}
	if code, ok := parseHTTP(s); ok {
		return HTTPStatus(code)
	}
	if e, ok := cat.bySyntax[strings.ToLower(s)]; ok {
		return e, true
	}
	words := strings.Fields(s)
	tries := [][]string{stripPlaceholders(words)}
	if len(tries[0]) < len(words) {
		tries = append(tries, words)
	}
	for _, prefix := range []string{"", "docker "} {
		for _, w := range tries {
			for n := len(w); n >= 1; n-- {
				k := prefix + strings.ToLower(strings.Join(w[:n], " "))
				if e, ok := cat.byKey[k]; ok {
					return e, true
				}
			}
		}
	}
	return Entry{}, false
}

// HTTPStatus returns the explanation of an HTTP status code: the document's
// row when it has one, dockctl's own for the codes the engine uses that the
// document lacks (409 Conflict).
func HTTPStatus(code int) (Entry, bool) {
	e, ok := cat.byCode[code]
	return e, ok
}

// Operations lists the dockctl operations ForOperation knows, in catalogue
// order: "inspect", "inspect images", …, "prune", "prune containers", …,
// "version", "schedule".
func Operations() []string {
	return append([]string(nil), cat.ops...)
}

// OperationName returns the canonical name of a dockctl operation ("prune
// images" for "dockctl  Prune image"), and whether op is one.
func OperationName(op string) (string, bool) {
	s := strings.ToLower(clean(op))
	s = strings.TrimPrefix(s, "dockctl ")
	s = strings.NewReplacer("build-cache", "buildcache", "build cache", "buildcache").Replace(s)
	for _, name := range []string{s, s + "s"} {
		if _, ok := cat.opKeys[name]; ok {
			return name, true
		}
	}
	return "", false
}

// ForOperation returns the docker (or Linux) commands a dockctl operation
// stands for, in order: "prune images" → docker image prune, docker rmi;
// "inspect containers" → docker ps -a; "report host" → df, du. op may start
// with "dockctl"; case and white space do not matter. Unknown operations
// give nil.
func ForOperation(op string) []Entry {
	name, ok := OperationName(op)
	if !ok {
		return nil
	}
	keys := cat.opKeys[name]
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		out = append(out, cat.byKey[k])
	}
	return out
}

// Groups returns the whole catalogue grouped as in the document: the
// document's docker groups in order, dockctl's own docker commands, the
// Linux commands, the HTTP status codes by category (then dockctl's own
// codes), and TCP. The result is a copy.
func Groups() []Group {
	out := make([]Group, len(cat.groups))
	for i, g := range cat.groups {
		g.Entries = append([]Entry(nil), g.Entries...)
		out[i] = g
	}
	return out
}

// All returns every entry in the order of Groups.
func All() []Entry {
	var out []Entry
	for _, g := range cat.groups {
		out = append(out, g.Entries...)
	}
	return out
}
