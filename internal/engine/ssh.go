package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/cli/cli/connhelper/ssh"
)

// ssh:// endpoints are reached as the docker CLI reaches them: dockctl runs
// `ssh [-l USER] [-p PORT] -o ConnectTimeout=30 -T -- HOST docker system
// dial-stdio` and speaks HTTP over the command's stdin and stdout. The
// docker CLI's own connection helper does it (a small part of docker/cli:
// the ssh command line, quoting, and the process-as-connection), so the
// user's ssh config, agent and known hosts apply as they do for docker.

// isSSH reports whether host is an ssh:// endpoint.
func isSSH(host string) bool { return strings.HasPrefix(host, "ssh://") }

// checkSSH refuses what the docker CLI refuses in an ssh:// address: a
// password, a query, a fragment, no host name.
func checkSSH(host string) error {
	_, err := ssh.ParseURL(host)
	return err
}

// sshDialer is how the client reaches an ssh:// endpoint: every connection
// is a new ssh process, with no TLS and no proxy, and the requests name the
// placeholder host clientHost (as the docker CLI sets them up).
func sshDialer(host string) (dial func(ctx context.Context, network, addr string) (net.Conn, error), clientHost string, err error) {
	helper, err := connhelper.GetConnectionHelper(host)
	if err != nil {
		return nil, "", err
	}
	return helper.Dialer, helper.Host, nil
}

// sshUnreachable is the one line for an ssh:// engine that could not be
// reached: what ssh (or the remote command) said, not the command line.
func sshUnreachable(host string, err error) string {
	return fmt.Sprintf("cannot reach the Docker engine at %s: %s", host, sshSaid(err))
}

// The connection helper reports a failed ssh as "command [ssh …] has exited
// with exit status N, make sure …: stderr=WHAT SSH PRINTED"; these are the
// markers sshSaid reads it by.
const (
	sshExitMarker   = " has exited with "
	sshStderrMarker = "stderr="
)

// sshSaid says why ssh failed: ssh's last meaningful stderr line, or its exit
// status when it printed nothing. Status 127 is the remote shell's "command
// not found": the remote has no docker CLI.
func sshSaid(err error) string {
	if errors.Is(err, exec.ErrNotFound) {
		return "no ssh client on PATH (ssh:// engines are reached by running ssh, as docker does)"
	}
	msg := err.Error()
	i := strings.Index(msg, sshExitMarker)
	if i < 0 {
		return msg
	}
	status, _, _ := strings.Cut(msg[i+len(sshExitMarker):], ",")
	var line string
	if j := strings.Index(msg, sshStderrMarker); j >= 0 {
		line = lastMeaningfulLine(msg[j+len(sshStderrMarker):])
	}
	switch {
	case status == "exit status 127":
		if line == "" {
			line = status
		}
		return "ssh: the remote has no docker CLI on its PATH (" + line + ")"
	case line != "":
		return "ssh: " + strings.TrimPrefix(line, "ssh: ")
	}
	return "ssh exited with " + status
}

// lastMeaningfulLine is the last line of ssh's stderr that is not one of
// its notices (a host added to known_hosts, the post-quantum warning).
// The helper quotes stderr when ssh hung up without exiting.
func lastMeaningfulLine(stderr string) string {
	if s, err := strconv.Unquote(strings.TrimSpace(stderr)); err == nil {
		stderr = s
	}
	lines := strings.Split(strings.ReplaceAll(stderr, "\r", ""), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "** ") || strings.HasPrefix(l, "Warning: Permanently added") {
			continue
		}
		return l
	}
	return ""
}
