package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/client"
)

// DefaultTimeout bounds every command that talks to the engine unless
// --timeout says otherwise.
const DefaultTimeout = 30 * time.Second

// Options are the connection settings a user can give on the command line.
type Options struct {
	Host    string        // -H/--host; wins over everything else
	Context string        // --context; conflicts with Host
	Timeout time.Duration // --timeout; bounds each command
}

// Endpoint is a resolved engine address with the TLS material to reach it.
type Endpoint struct {
	// Context is the docker context the endpoint came from ("default" when
	// it came from a flag, DOCKER_HOST or the built-in socket).
	Context string `json:"context"`
	Host    string `json:"host"`
	// TLS settings; empty paths mean plain connection.
	CACert        string `json:"-"`
	Cert          string `json:"-"`
	Key           string `json:"-"`
	SkipTLSVerify bool   `json:"-"`
	// FromEnvTLS is set when DOCKER_TLS_VERIFY/DOCKER_CERT_PATH apply.
	FromEnvTLS bool `json:"-"`
}

// Env reads environment variables; tests pass a map-backed one.
type Env func(string) string

// configDir is where the docker CLI keeps config.json and contexts.
func configDir(env Env) string {
	if d := env("DOCKER_CONFIG"); d != "" {
		return d
	}
	home := env("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker")
}

// Where an engine setting comes from, as a SettingError names it: the
// Options, or the environment and docker config (named as they are).
const (
	SettingHost    = "host"    // Options.Host
	SettingContext = "context" // Options.Context
)

// SettingError is an engine setting Resolve cannot use: Setting is
// SettingHost, SettingContext, or the environment variable or config entry
// the value came from (DOCKER_HOST, DOCKER_CONTEXT, "config.json
// currentContext"); the command line maps the first two to its flags.
type SettingError struct {
	Setting, Value, Reason string
	// With is the other setting the reason is about, written after it;
	// "" if none.
	With string
}

func (e *SettingError) Error() string {
	return e.Describe(func(s string) string { return s })
}

// Describe is the error with each setting called by name(setting): the
// command line passes its flag names.
func (e *SettingError) Describe(name func(string) string) string {
	reason := e.Reason
	if e.With != "" {
		reason += " " + name(e.With)
	}
	return fmt.Sprintf("invalid %s %q: %s", name(e.Setting), e.Value, reason)
}

// Resolve picks the endpoint the docker CLI would pick for the same flags and
// environment: --host, then --context, then DOCKER_HOST, then DOCKER_CONTEXT,
// then the current context of config.json, then the default socket.
func Resolve(opts Options, env Env) (Endpoint, error) {
	if opts.Host != "" && opts.Context != "" {
		return Endpoint{}, &SettingError{Setting: SettingContext, Value: opts.Context, Reason: "cannot be combined with", With: SettingHost}
	}
	if opts.Host != "" {
		h, err := parseHost(opts.Host)
		if err != nil {
			return Endpoint{}, &SettingError{Setting: SettingHost, Value: opts.Host, Reason: err.Error()}
		}
		return withEnvTLS(Endpoint{Context: "default", Host: h}, env), nil
	}
	name := opts.Context
	source := SettingContext
	if name == "" {
		switch {
		case env("DOCKER_HOST") != "":
			name = "default"
		case env("DOCKER_CONTEXT") != "":
			name, source = env("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
		default:
			cur, err := currentContext(env)
			if err != nil {
				return Endpoint{}, err
			}
			name, source = cur, "config.json currentContext"
		}
	}
	if name == "" || name == "default" {
		host := env("DOCKER_HOST")
		if host == "" {
			host = client.DefaultDockerHost
		}
		h, err := parseHost(host)
		if err != nil {
			return Endpoint{}, &SettingError{Setting: "DOCKER_HOST", Value: host, Reason: err.Error()}
		}
		return withEnvTLS(Endpoint{Context: "default", Host: h}, env), nil
	}
	return loadContext(env, name, source)
}

// withEnvTLS applies the CLI's TLS environment: TLS is on when
// DOCKER_TLS_VERIFY (verifying the engine) or DOCKER_TLS (not verifying)
// is set; DOCKER_CERT_PATH only says where the files are.
func withEnvTLS(ep Endpoint, env Env) Endpoint {
	if env("DOCKER_TLS_VERIFY") == "" && env("DOCKER_TLS") == "" {
		return ep
	}
	dir := env("DOCKER_CERT_PATH")
	if dir == "" {
		dir = configDir(env)
	}
	ep.FromEnvTLS = true
	ep.CACert = filepath.Join(dir, "ca.pem")
	ep.Cert = filepath.Join(dir, "cert.pem")
	ep.Key = filepath.Join(dir, "key.pem")
	ep.SkipTLSVerify = env("DOCKER_TLS_VERIFY") == ""
	return ep
}

func parseHost(h string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", errors.New("empty host")
	}
	if !strings.Contains(h, "://") {
		// docker accepts a bare host:port as tcp.
		h = "tcp://" + h
	}
	u, err := client.ParseHostURL(h)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "unix", "tcp", "npipe", "http", "https":
		return h, nil
	case "ssh":
		if err := checkSSH(h); err != nil {
			return "", err
		}
		return h, nil
	}
	return "", fmt.Errorf("unsupported scheme %q (use unix://, tcp://, ssh:// or npipe://)", u.Scheme)
}

func currentContext(env Env) (string, error) {
	path := filepath.Join(configDir(env), "config.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading docker config %s: %w", path, err)
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", fmt.Errorf("reading docker config %s: %w", path, err)
	}
	return cfg.CurrentContext, nil
}

// contextDirName is how the docker CLI names a context's folders: the
// sha256 of its name, so any name is a safe path.
func contextDirName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func loadContext(env Env, name, source string) (Endpoint, error) {
	dir := configDir(env)
	id := contextDirName(name)
	metaPath := filepath.Join(dir, "contexts", "meta", id, "meta.json")
	b, err := os.ReadFile(metaPath)
	if errors.Is(err, os.ErrNotExist) {
		if source == "" {
			source = SettingContext
		}
		return Endpoint{}, &SettingError{Setting: source, Value: name, Reason: "no such docker context (see 'docker context ls')"}
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("reading context %q: %w", name, err)
	}
	var meta struct {
		Name      string `json:"Name"`
		Endpoints map[string]struct {
			Host          string `json:"Host"`
			SkipTLSVerify bool   `json:"SkipTLSVerify"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return Endpoint{}, fmt.Errorf("reading context %q from %s: %w", name, metaPath, err)
	}
	d, ok := meta.Endpoints["docker"]
	if !ok || d.Host == "" {
		return Endpoint{}, fmt.Errorf("context %q has no docker endpoint", name)
	}
	h, err := parseHost(d.Host)
	if err != nil {
		return Endpoint{}, fmt.Errorf("context %q: %w", name, err)
	}
	ep := Endpoint{Context: name, Host: h, SkipTLSVerify: d.SkipTLSVerify}
	tlsDir := filepath.Join(dir, "contexts", "tls", id, "docker")
	for file, dst := range map[string]*string{"ca.pem": &ep.CACert, "cert.pem": &ep.Cert, "key.pem": &ep.Key} {
		p := filepath.Join(tlsDir, file)
		if _, err := os.Stat(p); err == nil {
			*dst = p
		}
	}
	return ep, nil
}
