package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/prune"
	"github.com/dockctl/dockctl/internal/render"
)

// The domain packages say which of their inputs is bad in their own words
// (a policy's "low watermark", an engine's "host" setting, a "format"):
// they know no flag. The command line is the one place that knows which
// flag set what, so it turns their typed errors into usage errors (exit 2)
// naming the flag.

// policyFlags names the flag of each policy setting.
var policyFlags = map[prune.Field]string{
	prune.FieldKinds:         "kind",
	prune.FieldKeep:          "--keep",
	prune.FieldKeepLabels:    "--keep-label",
	prune.FieldOlderThan:     "--older-than",
	prune.FieldKeepRecent:    "--keep-recent",
	prune.FieldMaxRemove:     "--max-remove",
	prune.FieldTargetUsage:   "--target-usage",
	prune.FieldHighWatermark: "--high-watermark",
	prune.FieldLowWatermark:  "--low-watermark",
	prune.FieldLogsLarger:    "--larger-than",
}

// settingFlags names the flag of the engine settings that come from flags;
// the others (DOCKER_HOST…) are named as they are.
var settingFlags = map[string]string{engine.SettingHost: "--host", engine.SettingContext: "--context"}

// withFlagAdvice is err's text with, in the engine error it holds, the
// flags that would fix it: the engine says what went wrong, the command
// line which of its flags choose the engine and bound each request. A
// wrapper's text is fixed when it is made (fmt.Errorf), so the engine
// error's own text is replaced, once, by its advised text.
func withFlagAdvice(err error) string {
	text := err.Error()
	var ue *engine.UnreachableError
	if errors.As(err, &ue) && ue.Advice == "" {
		plain := ue.Error()
		ue.Advice = "check --host, --context or DOCKER_HOST"
		text = strings.Replace(text, plain, ue.Error(), 1)
	}
	var te *engine.TimeoutError
	if errors.As(err, &te) && te.Advice == "" {
		plain := te.Error()
		te.Advice = "raise --timeout"
		if te.DiskUsage {
			te.Advice = "raise or drop --df-timeout"
		}
		text = strings.Replace(text, plain, te.Error(), 1)
	}
	return text
}

// limitReason is a refused plan's reason (prune.LimitError), with the
// flags that set the limit and lift it.
func limitReason(le *prune.LimitError) string {
	return fmt.Sprintf("refusing to remove %s: more than --max-remove %d (use --force to proceed)", render.Count(le.Planned, "object"), le.Max)
}

// usageError returns err as a usage error naming the flag, when err is a
// domain package's bad-input error (wrapped or not); any other error as it
// is.
func usageError(err error) error {
	var (
		pe *prune.PolicyError
		se *engine.SettingError
		fe *inspect.FilterError
		re *render.FormatError
		te *explain.TopicError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return &clierr.UsageError{Reason: pe.Describe(func(f prune.Field) string { return policyFlags[f] })}
	case errors.As(err, &se):
		return &clierr.UsageError{Reason: se.Describe(func(s string) string {
			if flag, ok := settingFlags[s]; ok {
				return flag
			}
			return s
		})}
	case errors.As(err, &fe):
		return clierr.Usage("--filter", fe.Value, "%s", fe.Reason)
	case errors.As(err, &re):
		return clierr.Usage("--format", re.Format, "%s", re.Reason)
	case errors.As(err, &te):
		return clierr.Usage("topic", te.Topic, "%s", te.Reason)
	}
	return err
}
