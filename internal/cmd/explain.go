package cmd

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/render"
)

// ExplainOptions are the inputs of `dockctl explain`.
type ExplainOptions struct {
	IO     IOStreams
	Topic  string // "" for the whole catalogue
	Format string // "table" or "json"
	Lang   string // "en", "zh" or "both" (text only; JSON has both)
}

// NewExplainCmd builds `dockctl explain [TOPIC]`; runF as NewInspectCmd's.
func NewExplainCmd(f *Factory, runF func(*ExplainOptions) error) *cobra.Command {
	opts := &ExplainOptions{Format: "table"}
	c := &cobra.Command{
		Use:   "explain [TOPIC]",
		Short: "Show the docker commands behind dockctl's operations, with the notes' explanations",
		Long: `Show what each dockctl operation does in docker terms, annotated with the
study notes' explanations (Chinese as written, with an English translation).

With no TOPIC, print the whole catalogue grouped as in the notes: docker
commands, the ones dockctl adds, common Linux commands, HTTP status codes
and TCP. A TOPIC is a dockctl operation ("prune", "prune images",
"inspect", "report", "version"), a docker command ("docker volume prune",
"docker rmi", or just "rmi"), a Linux command ("df") or an HTTP status
code ("404"). Words may be given as separate arguments.

explain never contacts the engine.`,
		Example: `  dockctl explain
  dockctl explain prune images
  dockctl explain "docker volume prune"
  dockctl explain 404 --lang both
  dockctl explain prune --format json`,
		Args: cobra.ArbitraryArgs,
		// Replaces the root's hook: explain works offline, so a bad
		// DOCKER_HOST or context must not stop it. Only --lang matters.
		PersistentPreRunE: func(*cobra.Command, []string) error {
			_, err := f.Lang()
			return err
		},
		RunE: func(c *cobra.Command, args []string) error {
			lang, err := f.Lang()
			if err != nil {
				return err
			}
			opts.Topic = strings.Join(args, " ")
			opts.Lang = lang
			opts.IO = f.IO
			if runF != nil {
				return runF(opts)
			}
			return runExplain(c.Context(), opts)
		},
	}
	format := stringEnum(&opts.Format, explain.Formats...)
	// text was explain's name for table before every command said table.
	format.synonyms = map[string]string{"text": "table"}
	c.Flags().Var(format, "format", "output format: "+oneOf(explain.Formats))
	return c
}

// runExplain writes the explanation of opts.Topic. Unknown topics and
// formats are usage errors, and nothing is written then.
func runExplain(_ context.Context, opts *ExplainOptions) error {
	a, err := explain.Answer(opts.Topic)
	if err != nil {
		return err
	}
	return show(opts.IO.Out, render.ExplainResult{Answer: a, Format: opts.Format, Lang: opts.Lang}, nil)
}

// statusNote explains an HTTP status of an engine error: "服务器找不到请求的网页或资源。
// (the server cannot find the requested page or resource)" in f's language,
// or "" for statuses the catalogue does not explain.
func (f *Factory) statusNote(status int) string {
	return noteText(f)(explain.HTTPStatus(status))
}

// noteText renders a catalogue lookup in f's language ("" when not found).
func noteText(f *Factory) func(explain.Entry, bool) string {
	return func(e explain.Entry, ok bool) string {
		if !ok {
			return ""
		}
		lang, err := f.Lang()
		if err != nil {
			lang = explain.LangEN
		}
		return e.Text(lang)
	}
}
