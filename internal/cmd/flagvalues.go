package cmd

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/pflag"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/parse"
)

// The flags that take a value are typed pflag.Values: the value is read
// once, while cobra parses the command line, so a bad one stops the
// command before anything runs. Every one of them refuses an empty or
// blank value: the usual source is an unset shell variable
// (--older-than "$AGE"), and reading it as "flag not given" would turn a
// guard or a CI gate off without a word. The values do not know their flag's
// name; flagError adds it.

// errEmpty is the reason an empty or blank value is refused.
var errEmpty = errors.New("needs a value, not an empty one (an unset shell variable?)")

// nonBlank returns s without surrounding blanks, or errEmpty.
func nonBlank(s string) (string, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return "", errEmpty
	}
	return in, nil
}

// read refuses a blank s, then reads it without its surrounding blanks;
// the caller keeps s as typed beside what it means.
func read[T any](s string, parse func(string) (T, error)) (T, error) {
	in, err := nonBlank(s)
	if err != nil {
		var zero T
		return zero, err
	}
	return parse(in)
}

// stringValue is a string flag that refuses an empty value and any value
// check refuses; it keeps the value without surrounding blanks.
type stringValue struct {
	p     *string
	check func(string) error
}

// nonEmpty makes a string flag of p that refuses an empty or blank value.
func nonEmpty(p *string) pflag.Value { return stringValue{p: p} }

func (v stringValue) Set(s string) error {
	in, err := nonBlank(s)
	if err == nil && v.check != nil {
		err = v.check(in)
	}
	if err != nil {
		return err
	}
	*v.p = s
	return nil
}
func (v stringValue) String() string { return *v.p }
func (v stringValue) Type() string   { return "string" }

// filePath makes a file name flag of p: it refuses a value that looks like
// a flag. pflag hands `-o --no-explain` to -o as its value, so the report
// would go to a file named --no-explain and the flag the user meant would
// be lost without a word.
func filePath(p *string) pflag.Value {
	return stringValue{p: p, check: func(in string) error {
		if strings.HasPrefix(in, "-") {
			return fmt.Errorf("looks like a flag, not a file name (write ./%s for a file named so)", in)
		}
		return nil
	}}
}

// stringArrayValue is a repeatable string flag that refuses an empty value.
type stringArrayValue struct{ p *[]string }

// nonEmptyArray makes a repeatable flag of p (each occurrence one element,
// commas kept) that refuses an empty or blank value.
func nonEmptyArray(p *[]string) pflag.Value { return stringArrayValue{p} }

func (v stringArrayValue) Set(s string) error {
	if _, err := nonBlank(s); err != nil {
		return err
	}
	*v.p = append(*v.p, s)
	return nil
}

// String is "" while nothing is given, which --help reads as no default.
func (v stringArrayValue) String() string {
	if len(*v.p) == 0 {
		return ""
	}
	return "[" + strings.Join(*v.p, ",") + "]"
}
func (v stringArrayValue) Type() string { return "stringArray" }

// Size is the value of a size flag: what the user typed and the bytes it
// means. Text is "" while the flag is not given.
type Size struct {
	Text  string
	Bytes int64
	// Positive refuses 0 (a budget of nothing is a mistake).
	Positive bool
}

// Set reads a size with its unit. A bare number is refused: "20" would
// be 20 bytes, which a user who meant 20 GB does not want a prune to act on.
func (v *Size) Set(s string) error {
	n, err := read(s, func(in string) (int64, error) {
		if last := rune(in[len(in)-1]); unicode.IsDigit(last) || last == '.' {
			return 0, fmt.Errorf("a size needs a unit, e.g. %sGB or %sB", in, in)
		}
		return parse.Size(in)
	})
	if err == nil && v.Positive && n == 0 {
		err = errors.New("must be more than 0")
	}
	if err == nil {
		v.Text, v.Bytes = s, n
	}
	return err
}
func (v *Size) String() string { return v.Text }

// Type names the value in --help: "--target-usage size".
func (v *Size) Type() string { return "size" }

// Duration is the value of a duration flag (24h, 7d, 2w): what the user
// typed and the duration it means. Text is "" while the flag is not given.
type Duration struct {
	Text string
	D    time.Duration
}

// Set reads a duration with parse.Duration's units.
func (v *Duration) Set(s string) error {
	d, err := read(s, parse.Duration)
	if err == nil {
		v.Text, v.D = s, d
	}
	return err
}
func (v *Duration) String() string { return v.Text }

// Type names the value in --help: "--older-than duration".
func (v *Duration) Type() string { return "duration" }

// Percent is the value of a percentage flag (85%): what the user typed and
// the percentage. Text is "" while the flag is not given.
type Percent struct {
	Text string
	P    float64
}

// Set reads a percentage in 0..100, with or without %.
func (v *Percent) Set(s string) error {
	p, err := read(s, parse.Percent)
	if err == nil {
		v.Text, v.P = s, p
	}
	return err
}
func (v *Percent) String() string { return v.Text }

// Type names the value in --help: "--high-watermark percent".
func (v *Percent) Type() string { return "percent" }

// flagError turns cobra/pflag's parse errors into usage errors so they exit
// 2. A value a flag refused reads as every other bad value does:
// `invalid --target-usage "20": a size needs a unit, e.g. 20GB or 20B`.
func flagError(err error) error {
	var iv *pflag.InvalidValueError
	if !errors.As(err, &iv) {
		return &clierr.UsageError{Reason: err.Error()}
	}
	reason := errors.Unwrap(iv)
	var num *strconv.NumError
	switch {
	case reason == nil:
		return &clierr.UsageError{Reason: err.Error()}
	case errors.As(reason, &num):
		// pflag's own int flags: "strconv.ParseInt: parsing …" says
		// nothing a user can act on.
		return clierr.Usage("--"+iv.GetFlag().Name, iv.GetValue(), "must be a whole number")
	}
	if _, blank := nonBlank(iv.GetValue()); blank != nil {
		// pflag's own flags (--timeout) say "invalid duration"; the reason is
		// the same for every flag.
		reason = errEmpty
	}
	return clierr.Usage("--"+iv.GetFlag().Name, iv.GetValue(), "%v", reason)
}

// enumValue is a string flag whose value is one of a fixed list (gh's
// StringEnumFlag): the list is owned once, by the package that renders or
// reads the values, and the help, the check and the completion all read
// it from here. Templates, when allowed, are any value with "{{"; the
// command checks them against its model.
type enumValue struct {
	p       *string
	options []string
	// example is a template shown when a value is refused; "" refuses
	// templates.
	example string
	// synonyms are old names still taken for an option, not offered.
	synonyms map[string]string
}

// stringEnum makes a flag of p that takes one of options.
func stringEnum(p *string, options ...string) *enumValue {
	return &enumValue{p: p, options: options}
}

// formatEnum makes a --format flag of p that takes one of options or a Go
// template (a value with "{{": a word such as yaml would otherwise be a
// template printing itself); example shows one when a value is refused.
func formatEnum(p *string, example string, options ...string) *enumValue {
	return &enumValue{p: p, options: options, example: example}
}

func (v *enumValue) Set(s string) error {
	if _, err := nonBlank(s); err != nil {
		return err
	}
	if o, ok := v.synonyms[s]; ok {
		s = o
	}
	switch {
	case slices.Contains(v.options, s):
	case v.example == "":
		return errors.New("must be " + oneOf(v.options))
	case !strings.Contains(s, "{{"):
		return fmt.Errorf("must be %s or a Go template such as %s", strings.Join(v.options, ", "), v.example)
	}
	*v.p = s
	return nil
}
func (v *enumValue) String() string { return *v.p }
func (v *enumValue) Type() string   { return "string" }

// oneOf lists options as a sentence does: "table, json or markdown".
func oneOf(options []string) string {
	if len(options) < 2 {
		return strings.Join(options, "")
	}
	return strings.Join(options[:len(options)-1], ", ") + " or " + options[len(options)-1]
}

// enumOptions are the values a flag takes by name (nil for a flag that is
// not an enum), for completion.
func enumOptions(fl *pflag.Flag) []string {
	if v, ok := fl.Value.(*enumValue); ok {
		return v.options
	}
	return nil
}
