package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// sshdPath is where Debian's openssh-server puts sshd (.ci/run installs it).
const sshdPath = "/usr/sbin/sshd"

// sshFixture is an sshd on 127.0.0.1 in front of this machine's engine, and
// an ssh on PATH configured to reach it with a key made for the test.
type sshFixture struct {
	URL      string // ssh://USER@127.0.0.1:PORT, the key authorised
	WrongKey string // ssh://USER@wrong-key:PORT: the same sshd, a key it refuses
	Port     string
	// Engine is the ssh:// URL of the engine under test: URL when it is
	// at the default socket, else URL followed by its socket's path.
	Engine string
}

// startSSHD starts sshd (-D -e, its own config, host key, authorised key
// and pid file in a temp dir) on a free 127.0.0.1 port, and puts first on
// PATH an ssh that reads a config naming the test's key and the sshd's host
// key: dockctl runs `ssh … docker system dial-stdio` as the docker CLI does,
// and ssh takes ~/.ssh from the passwd entry, not $HOME, so the config is
// given with -F. The remote side is this machine: its docker CLI, as the
// user the test runs as. sshd stops when t ends.
func startSSHD(t *testing.T) sshFixture {
	t.Helper()
	requireEngine(t)
	sock := engineSocketPath()
	if sock == "" {
		skipf(t, "the ssh test's remote docker CLI reaches a unix socket on this machine; the engine is at %s", engineHost)
	}
	if _, err := os.Stat(sshdPath); err != nil {
		skipf(t, "no sshd at %s (Debian's openssh-server; .ci/run installs it): %v", sshdPath, err)
	}
	tools := map[string]string{}
	for _, name := range []string{"ssh", "ssh-keygen", "docker"} {
		p, err := exec.LookPath(name)
		if err != nil {
			skipf(t, "the ssh test needs %s on PATH (Debian's openssh-client, docker.io): %v", name, err)
		}
		tools[name] = p
	}
	if _, err := os.Stat("/run/sshd"); err != nil {
		skipf(t, "sshd needs its privilege separation directory /run/sshd (mkdir -p /run/sshd; .ci/run makes it): %v", err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}

	dir := shortTempDir(t)
	for _, key := range []string{"host_key", "user_key", "wrong_key"} {
		if out, err := exec.Command(tools["ssh-keygen"], "-q", "-t", "ed25519", "-N", "", "-C", "dockctl-it-"+runID, "-f", filepath.Join(dir, key)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen %s: %v\n%s", key, err, out)
		}
	}
	port := freePort(t)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sshdConfig := write("sshd_config", fmt.Sprintf(`ListenAddress 127.0.0.1
Port %s
HostKey %s
AuthorizedKeysFile %s
PidFile %s
PermitRootLogin prohibit-password
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
`, port, filepath.Join(dir, "host_key"), filepath.Join(dir, "user_key.pub"), filepath.Join(dir, "sshd.pid")))
	hostKey, err := os.ReadFile(filepath.Join(dir, "host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := write("known_hosts", fmt.Sprintf("[127.0.0.1]:%s %s", port, hostKey))
	sshConfig := write("ssh_config", fmt.Sprintf(`Host wrong-key
  HostName 127.0.0.1
  IdentityFile %s
Host 127.0.0.1
  IdentityFile %s
Host *
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking yes
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
`, filepath.Join(dir, "wrong_key"), filepath.Join(dir, "user_key"), knownHosts))
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", tools["ssh"], sshConfig)
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	sshd := exec.Command(sshdPath, "-D", "-e", "-f", sshdConfig)
	stderr, err := sshd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sshd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	// sshd says when it listens; its log is kept for a failing test.
	var log strings.Builder
	listening := make(chan bool, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !said && strings.HasPrefix(sc.Text(), "Server listening on 127.0.0.1 port "+port) {
				said = true
				listening <- true
			}
		}
		if !said {
			listening <- false
		}
	}()
	t.Cleanup(func() {
		_ = sshd.Process.Signal(syscall.SIGTERM)
		_ = sshd.Wait()
		<-logDone
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	if !<-listening {
		<-logDone
		t.Fatalf("sshd did not start:\n%s", log.String())
	}
	f := sshFixture{
		URL:      "ssh://" + me.Username + "@127.0.0.1:" + port,
		WrongKey: "ssh://" + me.Username + "@wrong-key:" + port,
		Port:     port,
	}
	// The plain URL reaches the remote's default socket; another engine
	// (engine29's unix:///var/run/docker-29.sock) is named by its path.
	f.Engine = f.URL
	if sock != "/var/run/docker.sock" {
		f.Engine = f.URL + sock
	}
	return f
}

// freePort is a 127.0.0.1 port free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// TestSSHEngine: dockctl reaches an engine over ssh:// as docker does
// (ssh … docker system dial-stdio against a real sshd): report, inspect,
// prune --dry-run and a scoped prune over ssh see and remove exactly this
// test's objects; the socket and the ssh endpoint are one engine in a
// fleet; an ssh that fails is one line naming the host and quoting ssh.
func TestSSHEngine(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	ssh := startSSHD(t)
	img := importImage(t, imageRef("ssh", "v1"), map[string][]byte{"data": randomBytes(t, 64<<10)}, nil)
	vol := createVolume(t, objName("ssh-vol"), nil)
	scope := scopeFilters(t)
	scoped := func(args ...string) []string { return append(args, filterFlags(scope)...) }
	info, err := engineClient.Info(testContext(t, fixtureTimeout))
	if err != nil {
		t.Fatal(err)
	}

	type reportDoc struct {
		Engine  struct{ ID, Host string }
		Summary struct {
			Images  struct{ Total int } `json:"images"`
			Volumes struct{ Total int } `json:"volumes"`
		} `json:"summary"`
		TotalBytes int64 `json:"total_bytes"`
	}
	t.Run("report", func(t *testing.T) {
		// The plain form (the remote's default socket) and the form with
		// the socket's path (docker --host=unix://PATH on the remote).
		hosts := []string{ssh.URL + engineSocketPath()}
		if ssh.Engine == ssh.URL {
			hosts = append(hosts, ssh.URL)
		} else {
			t.Logf("the plain form %s reaches the default socket, not the engine under test at %s: not checked", ssh.URL, engineHost)
		}
		for _, host := range hosts {
			var doc reportDoc
			dockctlJSON(t, &doc, scoped("report", "--no-cache", "--format", "json", "-H", host)...)
			if doc.Engine.ID != info.ID || doc.Engine.Host != host {
				t.Errorf("-H %s: engine %q at %q, want %q at %q", host, doc.Engine.ID, doc.Engine.Host, info.ID, host)
			}
			if doc.Summary.Images.Total != 1 || doc.Summary.Volumes.Total != 1 {
				t.Errorf("-H %s: %d images, %d volumes in scope, want 1 and 1", host, doc.Summary.Images.Total, doc.Summary.Volumes.Total)
			}
		}
	})

	t.Run("inspect", func(t *testing.T) {
		var doc json.RawMessage
		dockctlJSON(t, &doc, scoped("inspect", "images", "--format", "json", "-H", ssh.Engine)...)
		if !strings.Contains(string(doc), img) {
			t.Fatalf("inspect images over ssh does not list %s:\n%s", img, doc)
		}
	})

	t.Run("fleet counts the engine once", func(t *testing.T) {
		var doc struct {
			Engines []struct {
				Name   string     `json:"name"`
				Error  string     `json:"error"`
				Same   string     `json:"same_engine_as"`
				Report *reportDoc `json:"report"`
			} `json:"engines"`
			Totals struct {
				Answered, Failed, Duplicates int
				TotalBytes                   int64 `json:"total_bytes"`
			} `json:"totals"`
		}
		dockctlJSON(t, &doc, scoped("report", "--no-cache", "--format", "json", "-H", engineHost, "-H", ssh.Engine)...)
		if len(doc.Engines) != 2 || doc.Engines[1].Error != "" || doc.Engines[1].Report == nil {
			t.Fatalf("engines %+v", doc.Engines)
		}
		if doc.Engines[1].Same != engineHost || doc.Totals.Answered != 2 || doc.Totals.Duplicates != 1 || doc.Totals.TotalBytes != doc.Engines[0].Report.TotalBytes {
			t.Errorf("the ssh endpoint is not counted as the socket's engine: same %q, totals %+v, one engine %d bytes", doc.Engines[1].Same, doc.Totals, doc.Engines[0].Report.TotalBytes)
		}
	})

	t.Run("prune", func(t *testing.T) {
		flags := []string{"-H", ssh.Engine, "--all", "--all-volumes"}
		dry, _ := prunePlan(t, scope, 0, append([]string{"--dry-run"}, flags...)...)
		want := sorted([]string{objKey("image", img), objKey("volume", vol)})
		if got := dry.planKeys(); !equalSlices(got, want) {
			t.Fatalf("dry run over ssh plans %v, want %v", got, want)
		}
		if !exists(t, "image", img) || !exists(t, "volume", vol) {
			t.Fatalf("the dry run removed something")
		}
		done, _ := prunePlan(t, scope, 0, append([]string{"--yes"}, flags...)...)
		var removed []string
		for _, r := range done.Removed {
			removed = append(removed, objKey(r.Type, r.ID))
		}
		if !equalSlices(sorted(removed), want) || len(done.Failed) != 0 {
			t.Errorf("prune over ssh removed %v (failed %v), want %v", removed, done.Failed, want)
		}
		if exists(t, "image", img) || exists(t, "volume", vol) {
			t.Errorf("after the prune over ssh: image there %v, volume there %v", exists(t, "image", img), exists(t, "volume", vol))
		}
	})

	t.Run("ssh refuses", func(t *testing.T) {
		out, errOut, code := runDockctl(t, "report", "--no-cache", "-H", ssh.WrongKey)
		if code != 1 || out != "" {
			t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
		}
		checkOneLine(t, errOut, "cannot reach the Docker engine at "+ssh.WrongKey+": ssh: ")
		if !strings.Contains(errOut, "Permission denied (publickey)") {
			t.Errorf("stderr does not quote ssh: %q", errOut)
		}
	})

	// Every ssh dockctl started has ended: a command closes its engine's
	// connections when it ends, and each one is an ssh process.
	if left := processesWith("-p " + ssh.Port + " "); len(left) > 0 {
		t.Errorf("ssh processes left running: %q", left)
	}
}

// processesWith lists the command lines (arguments joined by spaces) of
// this machine's processes whose command line holds s.
func processesWith(s string) []string {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // ended meanwhile
		}
		line := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		if strings.Contains(line, s) && strings.Contains(line, "dial-stdio") {
			out = append(out, line)
		}
	}
	return out
}
