package integration

import (
	"strings"
	"testing"
)

// No output prints a container's environment, and text from the engine
// (here a compose-project label carrying terminal escape sequences) never
// reaches a terminal or a page raw.
func TestNoSecretsAndNoRawEscapes(t *testing.T) {
	requireEngine(t)
	secret := "s3cr3t-" + runID
	hostile := "evil\x1b[2J\x1b]0;pwned\x07<script>alert(1)</script>"
	img := importImage(t, imageRef("secrets", "1"), map[string][]byte{"/opt/x.bin": randomBytes(t, 4<<10)}, nil)
	createContainer(t, img, objName("secret-holder"), containerOpts{
		Env:    []string{"DOCKCTL_SECRET=" + secret, "PASSWORD=" + secret},
		Labels: map[string]string{"com.docker.compose.project": hostile},
	})
	scope := filterFlags(scopeFilters(t))
	runs := [][]string{
		append([]string{"inspect", "containers"}, scope...),
		append([]string{"inspect", "containers", "--format", "json"}, scope...),
		append([]string{"inspect", "containers", "--format", "{{.Name}} {{.ComposeProject}} {{.Labels}}"}, scope...),
		append([]string{"report", "--by", "project", "-v"}, scope...),
		append([]string{"report", "--by", "project", "-v", "--format", "json"}, scope...),
		append([]string{"report", "--by", "project", "-v", "--format", "markdown"}, scope...),
		append([]string{"report", "--by", "project", "-v", "--format", "html"}, scope...),
		append([]string{"prune", "--dry-run", "--all"}, scope...),
		append([]string{"prune", "--dry-run", "--all", "--format", "json"}, scope...),
	}
	for _, args := range runs {
		t.Run(strings.Join(args[:min(len(args), 4)], " "), func(t *testing.T) {
			out, errOut, code := runDockctl(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if strings.Contains(out+errOut, secret) {
				t.Fatalf("the container's environment leaked into the output:\n%s", out)
			}
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Fatalf("a raw escape sequence reached the output: %q", out)
			}
			if strings.Contains(strings.Join(args, " "), "html") && strings.Contains(out, "<script>") {
				t.Fatalf("unescaped HTML from the engine: %q", out)
			}
		})
	}
}
