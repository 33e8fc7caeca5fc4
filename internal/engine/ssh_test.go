package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeSSH puts an "ssh" on PATH (and nothing else) that records its
// arguments, reads the request's first line (so the request was written
// before it fails, as a real ssh is slower to fail than dockctl to write),
// prints stderr and exits with status.
func fakeSSH(t *testing.T, stderr string, status int) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	script := "#!/bin/sh\n" +
		"printf '%s\\n' \"$@\" > '" + argsFile + "'\n" +
		"read -r line\n" +
		"printf '%s' '" + strings.ReplaceAll(stderr, "'", `'\''`) + "' >&2\n" +
		"exit " + strconv.Itoa(status) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	return argsFile
}

// pingOver resolves host as -H would, builds the client and pings: the
// path every command takes to its first answer.
func pingOver(t *testing.T, host string) error {
	t.Helper()
	ep, err := Resolve(Options{Host: host}, func(string) string { return "" })
	if err != nil {
		return err
	}
	c, err := New(ep, func(string) string { return "" }, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Ping(context.Background())
	return Classify(err, ep.Host)
}

// TestSSHErrorText: an ssh endpoint that cannot be reached is one line
// naming the host and quoting what ssh said (its last meaningful line, not
// its warnings); the engine is asked as docker asks it, through
// `ssh -l USER -p PORT -o ConnectTimeout=30 -T -- HOST docker system dial-stdio`.
func TestSSHErrorText(t *testing.T) {
	const host = "ssh://root@127.0.0.1:2222"
	for _, tt := range []struct {
		name   string
		stderr string
		status int
		want   string
	}{
		{"auth failed", "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\nroot@127.0.0.1: Permission denied (publickey).\r\n", 255,
			"cannot reach the Docker engine at ssh://root@127.0.0.1:2222: ssh: root@127.0.0.1: Permission denied (publickey)."},
		{"unknown host", "ssh: Could not resolve hostname nosuch: Name or service not known\r\n", 255,
			"cannot reach the Docker engine at ssh://root@127.0.0.1:2222: ssh: Could not resolve hostname nosuch: Name or service not known"},
		{"post-quantum warning before the error", "** WARNING: connection is not using a post-quantum key exchange algorithm.\n** This session may be vulnerable to \"store now, decrypt later\" attacks.\n** The server may need to be upgraded. See https://openssh.com/pq.html\nroot@127.0.0.1: Permission denied (publickey).\n", 255,
			"cannot reach the Docker engine at ssh://root@127.0.0.1:2222: ssh: root@127.0.0.1: Permission denied (publickey)."},
		{"no docker on the remote", "bash: line 1: docker: command not found\n", 127,
			"cannot reach the Docker engine at ssh://root@127.0.0.1:2222: ssh: the remote has no docker CLI on its PATH (bash: line 1: docker: command not found)"},
		{"remote engine down", "error during connect: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", 1,
			"cannot reach the Docker engine at ssh://root@127.0.0.1:2222: ssh: error during connect: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"},
		{"silent failure", "", 255,
			"cannot reach the Docker engine at ssh://root@127.0.0.1:2222: ssh exited with exit status 255"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			argsFile := fakeSSH(t, tt.stderr, tt.status)
			err := pingOver(t, host)
			var ue *UnreachableError
			if !errors.As(err, &ue) {
				t.Fatalf("got %T %v, want *UnreachableError", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if !Gone(err) {
				t.Errorf("Gone(%v) = false: an ssh that fails is an engine that cannot be reached", err)
			}
			args, rerr := os.ReadFile(argsFile)
			if rerr != nil {
				t.Fatal(rerr)
			}
			const wantArgs = "-l\nroot\n-p\n2222\n-o ConnectTimeout=30\n-T\n--\n127.0.0.1\ndocker system dial-stdio\n"
			if string(args) != wantArgs {
				t.Errorf("ssh ran with\n%s\nwant\n%s", args, wantArgs)
			}
		})
	}
}

// TestSSHWithoutSSHClient: no ssh on PATH is said as such.
func TestSSHWithoutSSHClient(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := pingOver(t, "ssh://me@build-1")
	const want = "cannot reach the Docker engine at ssh://me@build-1: no ssh client on PATH (ssh:// engines are reached by running ssh, as docker does)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
