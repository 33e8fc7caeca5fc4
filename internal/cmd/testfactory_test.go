package cmd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testNow is the fixed clock of command tests.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testFactory is a Factory on buffers with an empty stdin, the fixed clock,
// and an environment of env over a temporary HOME (so the layer cache and
// locks stay in the test's own folder). Tests set Dial.
func testFactory(t testing.TB, env map[string]string) (f *Factory, out, errOut *bytes.Buffer) {
	t.Helper()
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	home := t.TempDir()
	f = NewFactory(strings.NewReader(""), out, errOut, func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "HOME" {
			return home
		}
		return ""
	})
	f.Now = func() time.Time { return testNow }
	f.LockDir = filepath.Join(home, "locks")
	return f, out, errOut
}

// writeDockerContext stores a context under cfg as the docker CLI does: in
// contexts/meta/<sha256 of the name>/meta.json.
func writeDockerContext(t *testing.T, cfg, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	dir := filepath.Join(cfg, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}
