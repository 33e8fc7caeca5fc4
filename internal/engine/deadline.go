package engine

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"time"
)

// Option tunes New.
type Option func(*settings)

type settings struct{ diskUsage time.Duration }

// DiskUsageTimeout bounds /system/df, which New's per-request timeout
// does not: the engine sizes every container and volume for it, which
// takes minutes on a big host, and docker itself waits for it without a
// bound. 0 (the default) leaves it unbounded but by the command's context.
func DiskUsageTimeout(d time.Duration) Option {
	return func(s *settings) { s.diskUsage = d }
}

// dfPath is /system/df with or without the API version prefix.
var dfPath = regexp.MustCompile(`^(/v[0-9.]+)?/system/df$`)

// deadlines bounds each request, from sending it to reading the last of
// its answer (as http.Client.Timeout does), by request, except /system/df,
// bounded by diskUsage. A bound of 0 bounds nothing.
type deadlines struct {
	base      http.RoundTripper
	request   time.Duration
	diskUsage time.Duration
}

func (d *deadlines) RoundTrip(req *http.Request) (*http.Response, error) {
	isDF := dfPath.MatchString(req.URL.Path)
	limit := d.request
	if isDF {
		limit = d.diskUsage
	}
	if limit <= 0 {
		resp, err := d.base.RoundTrip(req)
		if err == nil && isDF {
			takeDiskUsage(req, resp)
		}
		return resp, err
	}
	parent := req.Context()
	ctx, cancel := context.WithTimeout(parent, limit)
	te := &TimeoutError{DiskUsage: isDF, Limit: limit}
	resp, err := d.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, timedOut(parent, ctx, err, te)
	}
	resp.Body = &boundBody{ReadCloser: resp.Body, parent: parent, ctx: ctx, cancel: cancel, te: te}
	if isDF {
		// Read within the bound, which the body's reads map to te.
		takeDiskUsage(req, resp)
	}
	return resp, nil
}

// timedOut is err, or te when the bound ended the request: ctx, the
// bounded context, is done while parent, the caller's, is not.
func timedOut(parent, ctx context.Context, err error, te *TimeoutError) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		return te
	}
	return err
}

// boundBody ends the request's bound when the answer is closed.
type boundBody struct {
	io.ReadCloser
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	te     *TimeoutError
}

func (b *boundBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = timedOut(b.parent, b.ctx, err, b.te)
	}
	return n, err
}

func (b *boundBody) Close() error {
	defer b.cancel()
	return b.ReadCloser.Close()
}
