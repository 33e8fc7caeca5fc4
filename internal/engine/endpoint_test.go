package engine

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/docker/docker/client"
)

// writeContext lays out a docker context the way the docker CLI stores it.
func writeContext(t *testing.T, dir, name, host string, withTLS bool) {
	t.Helper()
	meta := filepath.Join(dir, "contexts", "meta", contextDirName(name))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	body := `{"Name":"` + name + `","Metadata":{},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if withTLS {
		tlsDir := filepath.Join(dir, "contexts", "tls", contextDirName(name), "docker")
		if err := os.MkdirAll(tlsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
			if err := os.WriteFile(filepath.Join(tlsDir, f), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	writeContext(t, dir, "remote", "tcp://10.0.0.9:2376", true)
	writeContext(t, dir, "other", "unix:///run/other.sock", false)
	writeContext(t, dir, "over-ssh", "ssh://me@build-1:2222", false)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"currentContext":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	emptyDir := t.TempDir()
	tests := []struct {
		name     string
		opts     Options
		env      map[string]string
		wantHost string
		wantCtx  string
		wantTLS  bool
		wantErr  string
	}{
		{name: "default socket", env: map[string]string{"DOCKER_CONFIG": emptyDir}, wantHost: client.DefaultDockerHost, wantCtx: "default"},
		{name: "current context from config.json", env: map[string]string{"DOCKER_CONFIG": dir}, wantHost: "unix:///run/other.sock", wantCtx: "other"},
		{name: "DOCKER_CONTEXT beats config.json", env: map[string]string{"DOCKER_CONFIG": dir, "DOCKER_CONTEXT": "remote"}, wantHost: "tcp://10.0.0.9:2376", wantCtx: "remote", wantTLS: true},
		{name: "DOCKER_HOST beats DOCKER_CONTEXT", env: map[string]string{"DOCKER_CONFIG": dir, "DOCKER_CONTEXT": "remote", "DOCKER_HOST": "tcp://1.2.3.4:2375"}, wantHost: "tcp://1.2.3.4:2375", wantCtx: "default"},
		{name: "--context beats DOCKER_HOST", opts: Options{Context: "remote"}, env: map[string]string{"DOCKER_CONFIG": dir, "DOCKER_HOST": "tcp://1.2.3.4:2375"}, wantHost: "tcp://10.0.0.9:2376", wantCtx: "remote", wantTLS: true},
		{name: "--host beats everything", opts: Options{Host: "unix:///tmp/d.sock"}, env: map[string]string{"DOCKER_CONFIG": dir, "DOCKER_CONTEXT": "remote"}, wantHost: "unix:///tmp/d.sock", wantCtx: "default"},
		{name: "bare host:port is tcp", opts: Options{Host: "127.0.0.1:2375"}, env: map[string]string{"DOCKER_CONFIG": dir}, wantHost: "tcp://127.0.0.1:2375", wantCtx: "default"},
		{name: "--context default uses DOCKER_HOST", opts: Options{Context: "default"}, env: map[string]string{"DOCKER_CONFIG": dir, "DOCKER_HOST": "tcp://5.6.7.8:2375"}, wantHost: "tcp://5.6.7.8:2375", wantCtx: "default"},
		{name: "env TLS", env: map[string]string{"DOCKER_CONFIG": emptyDir, "DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/certs"}, wantHost: "tcp://h:2376", wantCtx: "default", wantTLS: true},
		{name: "DOCKER_CERT_PATH alone is not TLS", env: map[string]string{"DOCKER_CONFIG": emptyDir, "DOCKER_HOST": "tcp://h:2375", "DOCKER_CERT_PATH": "/certs"}, wantHost: "tcp://h:2375", wantCtx: "default"},
		{name: "DOCKER_TLS without verify", env: map[string]string{"DOCKER_CONFIG": emptyDir, "DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS": "1", "DOCKER_CERT_PATH": "/certs"}, wantHost: "tcp://h:2376", wantCtx: "default", wantTLS: true},
		{name: "--host with --context", opts: Options{Host: "unix:///a.sock", Context: "remote"}, env: map[string]string{}, wantErr: `invalid context "remote": cannot be combined with host`},
		{name: "unknown context", opts: Options{Context: "nope"}, env: map[string]string{"DOCKER_CONFIG": dir}, wantErr: `"nope": no such docker context`},
		{name: "unknown DOCKER_CONTEXT", env: map[string]string{"DOCKER_CONFIG": dir, "DOCKER_CONTEXT": "gone"}, wantErr: `DOCKER_CONTEXT "gone"`},
		{name: "bad host", opts: Options{Host: "ftp://x"}, env: map[string]string{}, wantErr: `host "ftp://x"`},
		{name: "ssh --host", opts: Options{Host: "ssh://root@127.0.0.1"}, env: map[string]string{"DOCKER_CONFIG": emptyDir}, wantHost: "ssh://root@127.0.0.1", wantCtx: "default"},
		{name: "ssh DOCKER_HOST", env: map[string]string{"DOCKER_CONFIG": emptyDir, "DOCKER_HOST": "ssh://me@host:2222/run/docker.sock"}, wantHost: "ssh://me@host:2222/run/docker.sock", wantCtx: "default"},
		{name: "ssh context", opts: Options{Context: "over-ssh"}, env: map[string]string{"DOCKER_CONFIG": dir}, wantHost: "ssh://me@build-1:2222", wantCtx: "over-ssh"},
		{name: "ssh with a password", opts: Options{Host: "ssh://me:secret@host"}, env: map[string]string{}, wantErr: "plain-text password is not supported"},
		{name: "ssh without a host", opts: Options{Host: "ssh://me@"}, env: map[string]string{}, wantErr: "hostname is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := Resolve(tt.opts, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				var se *SettingError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a *SettingError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.Host != tt.wantHost || ep.Context != tt.wantCtx || (ep.CACert != "") != tt.wantTLS {
				t.Fatalf("got %+v, want host %s context %s tls %v", ep, tt.wantHost, tt.wantCtx, tt.wantTLS)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	if got := Classify(nil, "h"); got != nil {
		t.Fatalf("Classify(nil) = %v", got)
	}
	plain := errors.New("decoding failed")
	if got := Classify(plain, "h"); got != plain {
		t.Fatalf("a non-engine error must pass through, got %v", got)
	}
}

// TestUnreachableErrorText: an unreachable engine is one line that names
// the host and says what to do (cmd adds which flags to check); a unix socket this user may not open says
// so in the words docker users know (issue 14 item 13).
func TestUnreachableErrorText(t *testing.T) {
	dial := func(network, addr string, errno syscall.Errno) error {
		op := &net.OpError{Op: "dial", Net: network, Addr: &net.UnixAddr{Name: addr, Net: network}, Err: os.NewSyscallError("connect", errno)}
		// As the docker client wraps a failed dial.
		return fmt.Errorf("error during connect: %w", &url.Error{Op: "Get", URL: "http://%2Fvar%2Frun%2Fdocker.sock/_ping", Err: op})
	}
	for _, tt := range []struct {
		name, host string
		err        error
		want       string
	}{
		{"unix permission denied", "unix:///var/run/docker.sock", dial("unix", "/var/run/docker.sock", syscall.EACCES),
			"cannot reach the Docker engine at unix:///var/run/docker.sock: permission denied: is this user in the docker group, or run with sudo"},
		{"unix no socket", "unix:///tmp/no.sock", dial("unix", "/tmp/no.sock", syscall.ENOENT),
			"cannot reach the Docker engine at unix:///tmp/no.sock: is the Docker daemon running? (dial unix /tmp/no.sock: connect: no such file or directory)"},
		{"tcp refused", "tcp://127.0.0.1:1", dial("tcp", "127.0.0.1:1", syscall.ECONNREFUSED),
			"cannot reach the Docker engine at tcp://127.0.0.1:1: is the Docker daemon running? (dial tcp 127.0.0.1:1: connect: connection refused)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Classify(tt.err, tt.host)
			var ue *UnreachableError
			if !errors.As(err, &ue) {
				t.Fatalf("Classify(%v) = %T, want *UnreachableError", tt.err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
