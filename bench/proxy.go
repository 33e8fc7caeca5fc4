package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// recorder is a unix-socket proxy in front of the engine that counts the
// requests passing through it, by method and path (the API version and
// object ids folded), so the benchmark can say how many engine requests
// each command makes.
type recorder struct {
	srv  *http.Server
	host string
	mu   sync.Mutex
	reqs map[string]int
}

var (
	apiVersion = regexp.MustCompile(`^/v[0-9.]+/`)
	objectID   = regexp.MustCompile(`/(containers|images|volumes|networks)/[^/]+/`)
)

// newRecorder listens in dir and forwards to the engine at DOCKER_HOST
// (a unix socket; the default socket when unset).
func newRecorder(dir string) (*recorder, error) {
	target := os.Getenv("DOCKER_HOST")
	if target == "" {
		target = "unix:///var/run/docker.sock"
	}
	sockPath := strings.TrimPrefix(target, "unix://")
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "docker"})
	rp.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sockPath)
	}}
	rp.FlushInterval = -1
	r := &recorder{reqs: map[string]int{}}
	sock := filepath.Join(dir, "recorder.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p := apiVersion.ReplaceAllString(req.URL.Path, "/")
		p = strings.TrimSuffix(objectID.ReplaceAllStringFunc(p+"/", func(m string) string {
			kind, id, _ := strings.Cut(strings.Trim(m, "/"), "/")
			if id == "json" || id == "prune" || id == "create" {
				return m
			}
			return "/" + kind + "/{id}/"
		}), "/")
		if q := req.URL.Query().Get("type"); q != "" {
			p += "?type=" + strings.Join(req.URL.Query()["type"], ",")
		}
		r.mu.Lock()
		r.reqs[req.Method+" "+p]++
		r.mu.Unlock()
		rp.ServeHTTP(w, req)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	r.host = "unix://" + sock
	return r, nil
}

// take returns the requests counted since the last take, as one line
// ("N requests: GET /x ×k, …"), and resets the counts.
func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	total := 0
	for k, n := range r.reqs {
		keys = append(keys, k)
		total += n
	}
	sort.Slice(keys, func(i, j int) bool {
		return r.reqs[keys[i]] > r.reqs[keys[j]] || r.reqs[keys[i]] == r.reqs[keys[j]] && keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" ×"+strconv.Itoa(r.reqs[k]))
	}
	r.reqs = map[string]int{}
	return strconv.Itoa(total) + " requests: " + strings.Join(parts, ", ")
}
