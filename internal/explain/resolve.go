package explain

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxSuggestions caps the "did you mean" list.
const maxSuggestions = 3

// TopicError is a topic the catalogue does not explain.
type TopicError struct {
	Topic, Reason string
}

func (e *TopicError) Error() string { return fmt.Sprintf("invalid topic %q: %s", e.Topic, e.Reason) }

func topicError(topic, format string, a ...any) error {
	return &TopicError{Topic: topic, Reason: fmt.Sprintf(format, a...)}
}

// Resolve answers `dockctl explain TOPIC`. topic may be
//
//   - empty: every entry, in the order of Groups;
//   - a dockctl operation ("prune", "prune images", "inspect", "report",
//     "version", "schedule"; see Operations): its commands, as ForOperation;
//   - a docker or Linux command, an HTTP status or "tcp", as Lookup accepts
//     them ("docker volume prune", "docker rmi", "df", "404").
//
// An unknown topic gives a *TopicError, with the closest known topics
// suggested:
//
//	invalid topic "prun": unknown topic; did you mean "prune", "docker system prune", …?
func Resolve(topic string) ([]Entry, error) {
	s := clean(topic)
	if s == "" {
		return All(), nil
	}
	if es := ForOperation(s); len(es) > 0 {
		return es, nil
	}
	if e, ok := Lookup(s); ok {
		return []Entry{e}, nil
	}
	if code, ok := parseHTTP(s); ok {
		return nil, topicError(s, "no explanation for HTTP status %d; explained: %s", code, strings.Join(knownCodes(), ", "))
	}
	if sug := Suggest(s); len(sug) > 0 {
		q := make([]string, len(sug))
		for i, t := range sug {
			q[i] = strconv.Quote(t)
		}
		return nil, topicError(s, "unknown topic; did you mean %s?", strings.Join(q, ", "))
	}
	return nil, topicError(s, "unknown topic; run %q to list every topic", "dockctl explain")
}

func knownCodes() []string {
	codes := make([]int, 0, len(cat.byCode))
	for c := range cat.byCode {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = strconv.Itoa(c)
	}
	return out
}

// Topics lists every topic Resolve knows by its canonical name: the
// operations, then every entry's key ("docker rmi", "df", "tcp"), with HTTP
// statuses as their code ("404").
func Topics() []string {
	out := Operations()
	for _, e := range All() {
		out = append(out, topicOf(e))
	}
	return out
}

func topicOf(e Entry) string {
	if e.Code != 0 {
		return strconv.Itoa(e.Code)
	}
	return e.Key
}

// Suggest returns up to three known topics close to an unknown one, closest
// first; among equally close ones, those with a word starting with topic
// come first, then the order of Topics (operations, then the document's
// entries, then dockctl's). A topic is close when its edit distance to
// topic is small for topic's length, or, for docker commands, when one run
// of its words is ("prun" → "prune", "docker system prune"), or when it
// starts with topic ("docker net" → "docker network ls").
func Suggest(topic string) []string {
	q := strings.ToLower(clean(topic))
	n := utf8.RuneCountInString(q)
	if n == 0 {
		return nil
	}
	limit := max(1, n/3)
	type cand struct {
		topic  string
		score  int
		prefix bool // one of topic's words starts with q
	}
	var cands []cand
	seen := map[string]bool{}
	consider := func(t string, spans bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		score := distance(q, t)
		if spans {
			words := strings.Fields(t)
			for i := range words {
				for j := i + 1; j <= len(words); j++ {
					score = min(score, distance(q, strings.Join(words[i:j], " ")))
				}
			}
		}
		if n >= 2 && strings.HasPrefix(t, q) {
			score = min(score, 2)
		}
		prefix := false
		for _, w := range strings.Fields(t) {
			prefix = prefix || strings.HasPrefix(w, q)
		}
		if score <= limit {
			cands = append(cands, cand{t, score, prefix})
		}
	}
	for _, op := range cat.ops {
		consider(op, false)
	}
	for _, e := range All() {
		consider(topicOf(e), true)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score < cands[j].score
		}
		return cands[i].prefix && !cands[j].prefix
	})
	var out []string
	for _, c := range cands {
		if len(out) == maxSuggestions {
			break
		}
		out = append(out, c.topic)
	}
	return out
}

// distance is the Levenshtein distance between a and b, counted in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// describeTopic is the heading the text answer prints above an operation's
// commands, or "" for a command, status or the whole catalogue.
func describeTopic(topic string) string {
	if name, ok := OperationName(topic); ok {
		return fmt.Sprintf("dockctl %s:", name)
	}
	return ""
}
