package render

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// ansiSeq matches the colour sequences paint writes.
var ansiSeq = regexp.MustCompile("\x1b\\[[0-9;]*m")

// columnGap separates columns, as the tabwriter tables elsewhere do.
const columnGap = 3

// minColumn is the narrowest a truncated column gets: enough to tell
// names apart.
const minColumn = 8

// tableLine starts each table line written for a width, so that
// wrapLines leaves it alone (a table too wide even when cut would be
// unreadable wrapped); wrapLines removes it. Engine text cannot hold it:
// Clean escapes control characters.
const tableLine = "\x00"

// figureColumns hold figures, which are short and useless cut.
var figureColumns = []string{"SIZE", "SHARED", "UNIQUE", "CONTAINERS", "ROOT FS", "LINKS", "USAGE", "TOTAL", "ACTIVE", "RECLAIMABLE"}

// elasticColumn reports whether a column may be cut to fit a terminal:
// not figures, nor ids, which are short already (and whole under
// --no-trunc).
func elasticColumn(head string) bool {
	return !strings.HasSuffix(head, "ID") && !slices.Contains(figureColumns, head)
}

// writeColumns writes heads and rows aligned like a tabwriter table. With
// width > 0 (a terminal's columns) the widest columns that may be cut
// (elastic) are, cell ends replaced by …, until a line fits or every such
// column is at minColumn.
func writeColumns(w io.Writer, heads []string, rows [][]string, width int, elastic func(col int) bool) error {
	widths := make([]int, len(heads))
	for _, row := range append([][]string{heads}, rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	if width > 0 {
		fitColumns(widths, heads, width, elastic)
	}
	var b strings.Builder
	for _, row := range append([][]string{heads}, rows...) {
		if width > 0 {
			b.WriteString(tableLine)
		}
		for i, c := range row {
			c = truncate(c, widths[i])
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+columnGap))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fitColumns narrows widths, widest first, until a line fits in width;
// no column gets narrower than its heading or minColumn.
func fitColumns(widths []int, heads []string, width int, elastic func(int) bool) {
	line := func() int {
		n := (len(widths) - 1) * columnGap
		for _, c := range widths {
			n += c
		}
		return n
	}
	for line() > width {
		widest := -1
		for i, c := range widths {
			if elastic(i) && c > max(minColumn, utf8.RuneCountInString(heads[i])) && (widest < 0 || c > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return
		}
		widths[widest]--
	}
}

// truncate cuts s to n runes, its end replaced by … when cut: names are
// told apart by their start.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// wrapLines word-wraps every line of s wider than width (escape sequences
// do not count): continuation lines are indented under the line's text,
// past a "- " list mark. Tables are cut to fit before (writeColumns), so
// only prose wraps.
func wrapLines(s string, width int) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, line := range lines {
		if t, ok := strings.CutPrefix(line, tableLine); ok {
			b.WriteString(t)
			continue
		}
		body := strings.TrimSuffix(line, "\n")
		if visibleWidth(body) <= width {
			b.WriteString(line)
			continue
		}
		text := strings.TrimLeft(body, " ")
		lead := len(body) - len(text)
		indent := lead
		if strings.HasPrefix(text, "- ") {
			indent += 2
		}
		col := 0
		for i, word := range strings.Split(text, " ") {
			n := visibleWidth(word)
			switch {
			case i == 0:
				b.WriteString(body[:lead] + word)
				col = lead + n
			case col+1+n > width:
				b.WriteString("\n" + strings.Repeat(" ", indent) + word)
				col = indent + n
			default:
				b.WriteString(" " + word)
				col += 1 + n
			}
		}
		if strings.HasSuffix(line, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// visibleWidth is s's width on a terminal: runes, without ANSI colour
// sequences.
func visibleWidth(s string) int {
	return utf8.RuneCountInString(ansiSeq.ReplaceAllString(s, ""))
}
