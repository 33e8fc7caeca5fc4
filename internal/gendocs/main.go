package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/dockctl/dockctl/internal/cmd"
)

func main() {
	out := flag.String("out", "docs", "folder to write man/ and cli/ into")
	flag.Parse()
	if err := generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs: "+err.Error())
		os.Exit(1)
	}
}

// newRoot builds the tree exactly as dockctl does, on an empty environment
// so nothing of the generating machine (DOCKER_HOST, LANG, HOME) can leak
// into a default shown in the docs.
func newRoot() *cobra.Command {
	f := cmd.NewFactory(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	root := cmd.NewRootCmd(f)
	walk(root, func(c *cobra.Command) { c.DisableAutoGenTag = true })
	return root
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// generate replaces out/man and out/cli with the docs of the current tree;
// they are wholly generated, so a removed command leaves no page behind.
func generate(out string) error {
	manDir, mdDir := filepath.Join(out, "man"), filepath.Join(out, "cli")
	for _, d := range []string{manDir, mdDir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// cobra dates each page (the month it ran, or SOURCE_DATE_EPOCH); the
	// date is fixed here and then dropped from the header, so a page
	// changes only when the command does.
	epoch := time.Unix(0, 0).UTC()
	err := doc.GenManTreeFromOpts(newRoot(), doc.GenManTreeOptions{
		Path:             manDir,
		CommandSeparator: "-",
		Header:           &doc.GenManHeader{Section: "1", Date: &epoch, Source: "dockctl", Manual: "dockctl manual"},
	})
	if err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	if err := undate(manDir, epoch.Format("Jan 2006")); err != nil {
		return err
	}
	if err := doc.GenMarkdownTree(newRoot(), mdDir); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	return nil
}

// thLine is a man page's title line: .TH "TITLE" "SECTION" "DATE" ...
var thLine = regexp.MustCompile(`(?m)^(\.TH "[^"]*" "[^"]*" )"([^"]*)"`)

// undate empties the date of every page's title line.
func undate(dir, date string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m := thLine.FindSubmatchIndex(b)
		if m == nil || string(b[m[4]:m[5]]) != date {
			return fmt.Errorf("%s: no dated title line (.TH) to undate", p)
		}
		b = bytes.Join([][]byte{b[:m[4]-1], []byte(`""`), b[m[5]+1:]}, nil)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
