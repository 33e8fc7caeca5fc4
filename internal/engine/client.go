package engine

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errhttp"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/sockets"
	"github.com/docker/go-connections/tlsconfig"
)

// New builds a client for ep. It does not dial: the first request does, and
// negotiates the API version then, so engines from API 1.41 (Docker 20.10)
// to current ones work. DOCKER_API_VERSION pins the version as in the CLI.
// timeout bounds each request (a hung engine ends it), not the command: a
// prune of many objects makes many requests. It does not bound /system/df
// (see DiskUsageTimeout). An ssh:// endpoint is reached through ssh, as
// docker does (no TLS).
func New(ep Endpoint, env Env, timeout time.Duration, options ...Option) (*Client, error) {
	var set settings
	for _, o := range options {
		o(&set)
	}
	tr := &http.Transport{MaxIdleConns: 6, IdleConnTimeout: 30 * time.Second}
	scheme, host := "http", ep.Host
	if isSSH(ep.Host) {
		dial, clientHost, err := sshDialer(ep.Host)
		if err != nil {
			return nil, fmt.Errorf("configuring engine client for %s: %w", ep.Host, err)
		}
		tr.DialContext, host = dial, clientHost
	} else {
		if ep.CACert != "" || ep.Cert != "" || ep.SkipTLSVerify {
			tc, err := tlsConfig(ep)
			if err != nil {
				return nil, fmt.Errorf("loading TLS material for %s: %w", ep.Host, err)
			}
			tr.TLSClientConfig, scheme = tc, "https"
		}
		u, err := client.ParseHostURL(ep.Host)
		if err == nil {
			err = sockets.ConfigureTransport(tr, u.Scheme, u.Host)
		}
		if err != nil {
			return nil, fmt.Errorf("configuring engine client for %s: %w", ep.Host, err)
		}
	}
	// The bounds live in the transport, not in http.Client.Timeout, which
	// would bound /system/df too. WithHost comes first: it configures the
	// client's own transport, which WithHTTPClient then replaces.
	opts := []client.Opt{
		client.WithHost(host),
		client.WithHTTPClient(&http.Client{
			Transport:     &deadlines{base: tr, request: timeout, diskUsage: set.diskUsage},
			CheckRedirect: client.CheckRedirect,
		}),
		client.WithScheme(scheme),
	}
	if v := env("DOCKER_API_VERSION"); v != "" {
		opts = append(opts, client.WithVersion(v))
	} else {
		opts = append(opts, client.WithAPIVersionNegotiation())
	}
	c, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring engine client for %s: %w", ep.Host, err)
	}
	return &Client{Client: c, base: tr}, nil
}

// Client is the docker client New builds. Its Close ends the idle
// connections itself: the docker client's own Close only reaches a
// transport it was handed as an *http.Transport, and New hands it the
// deadlines around one. An ssh:// engine's connections are ssh processes,
// which would otherwise outlive the command.
type Client struct {
	*client.Client
	base *http.Transport
}

// Close ends the client's idle connections.
func (c *Client) Close() error {
	c.base.CloseIdleConnections()
	return c.Client.Close()
}

func tlsConfig(ep Endpoint) (*tls.Config, error) {
	return tlsconfig.Client(tlsconfig.Options{
		CAFile:             ep.CACert,
		CertFile:           ep.Cert,
		KeyFile:            ep.Key,
		InsecureSkipVerify: ep.SkipTLSVerify,
		ExclusiveRootPools: true,
	})
}

// UnreachableError says the engine could not be reached at all.
type UnreachableError struct {
	Host string
	Err  error
	// Advice says what to check in the caller's words ("check --host,
	// --context or DOCKER_HOST"): engine knows no flag names, the command
	// line sets it before showing the error.
	Advice string
}

func (e *UnreachableError) Error() string {
	if isSSH(e.Host) && e.Err != nil {
		return sshUnreachable(e.Host, e.Err)
	}
	// The daemon runs, but the socket is its group's (docker) alone.
	if strings.HasPrefix(e.Host, "unix://") && errors.Is(e.Err, fs.ErrPermission) {
		return fmt.Sprintf("cannot reach the Docker engine at %s: permission denied: is this user in the docker group, or run with sudo", e.Host)
	}
	hint := "is the Docker daemon running?"
	if e.Advice != "" {
		hint += " " + e.Advice
	}
	var op *net.OpError
	if errors.As(e.Err, &op) {
		return fmt.Sprintf("cannot reach the Docker engine at %s: %s (%v)", e.Host, hint, op)
	}
	return fmt.Sprintf("cannot reach the Docker engine at %s: %s", e.Host, hint)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// TimeoutError is a request the engine did not answer within its bound:
// the per-request timeout, or DiskUsageTimeout for /system/df. The
// transport makes it without a host; Classify wraps it in one that names
// the engine.
type TimeoutError struct {
	Host string
	Err  error
	// DiskUsage is set when the request was /system/df, bounded by
	// DiskUsageTimeout rather than the per-request timeout.
	DiskUsage bool
	Limit     time.Duration
	// Advice says how to give the engine more time in the caller's words
	// ("raise --timeout"), as UnreachableError's.
	Advice string
}

func (e *TimeoutError) Error() string {
	if e.Host == "" {
		if e.DiskUsage {
			return fmt.Sprintf("disk usage (/system/df) not answered within %v", e.Limit)
		}
		return fmt.Sprintf("request not answered within %v", e.Limit)
	}
	msg := "the engine at " + e.Host + " did not answer in time"
	if e.DiskUsage {
		msg = "the engine at " + e.Host + " did not finish sizing disks in time"
	}
	if e.Advice != "" {
		msg += " (" + e.Advice + ")"
	}
	return msg + ": " + e.Err.Error()
}

// Timeout marks it a timeout as net.Error does.
func (e *TimeoutError) Timeout() bool { return true }

// Unwrap is what the engine's client saw; the transport's own is a
// context.DeadlineExceeded, which the docker client and Gone know a
// timeout by.
func (e *TimeoutError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return context.DeadlineExceeded
}

// APIError is an error answer from the engine: an HTTP status and the
// engine's own message (with the context dockctl wrapped around it).
type APIError struct {
	Status  int
	Message string
	Err     error
}

func (e *APIError) Error() string {
	answer := fmt.Sprintf("engine answered %d %s: ", e.Status, http.StatusText(e.Status))
	const daemonPrefix = "Error response from daemon: "
	if strings.Contains(e.Message, daemonPrefix) {
		return strings.Replace(e.Message, daemonPrefix, answer, 1)
	}
	return answer + e.Message
}

func (e *APIError) Unwrap() error { return e.Err }

// Classify turns a client error into UnreachableError, TimeoutError or
// APIError where it is one; other errors (decoding…) pass through.
func Classify(err error, host string) error {
	if err == nil {
		return nil
	}
	var ue *UnreachableError
	var ae *APIError
	var te *TimeoutError
	if errors.As(err, &ue) || errors.As(err, &ae) || (errors.As(err, &te) && te.Host != "") {
		return err
	}
	if te != nil {
		// The transport's bound ended it: say which engine, and which bound.
		return &TimeoutError{Host: host, Err: err, DiskUsage: te.DiskUsage, Limit: te.Limit}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &TimeoutError{Host: host, Err: err}
	}
	if client.IsErrConnectionFailed(err) || isDialError(err) {
		return &UnreachableError{Host: host, Err: err}
	}
	if code := httpStatus(err); code != 0 {
		return &APIError{Status: code, Message: engineMessage(err), Err: err}
	}
	return err
}

// httpStatus recovers the HTTP status of an engine answer from the error
// class the client gave it. errhttp maps any unknown error to 500, so a
// 500 is only believed when the error really is of the internal class.
func httpStatus(err error) int {
	if client.IsErrConnectionFailed(err) {
		return 0
	}
	code := errhttp.ToHTTP(err)
	if code < 400 || (code == http.StatusInternalServerError && !cerrdefs.IsInternal(err)) {
		return 0
	}
	return code
}

// StatusOf returns the HTTP status of an engine error, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return httpStatus(err)
}

// Gone reports errors that mean the engine itself could not be reached or
// stopped answering — refused or dropped connections, a vanished socket, a
// request past --timeout — as opposed to an answer about the request (an
// HTTP status). A cancelled request (Ctrl-C) is neither. Callers stop
// handing out work on it (prune) or retry later (scheduled runs).
func Gone(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ue *UnreachableError
	var ne net.Error
	switch {
	case errors.As(err, &ue), client.IsErrConnectionFailed(err), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case StatusOf(err) != 0:
		return false
	case errors.As(err, &ne):
		return true
	}
	// The client's wrapping of a failed dial loses the cause's type.
	return strings.Contains(err.Error(), "error during connect")
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func engineMessage(err error) string { return err.Error() }
