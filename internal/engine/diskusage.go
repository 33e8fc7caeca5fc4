package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/docker/docker/api/types"
)

// dfAnswer is where the transport leaves a /system/df answer it decoded
// itself, element by element (see DiskUsage).
type dfAnswer struct {
	du      types.DiskUsage
	err     error
	decoded bool
}

type dfAnswerKey struct{}

// DiskUsage is the client's /system/df, decoded as it streams in. The
// docker client decodes the answer whole: encoding/json's Decoder keeps
// the entire document in a buffer grown by doubling (16 MiB for the 9 MB
// answer of 10,000 containers) beside the values decoded from it, which
// made df the peak of dockctl's memory on a big host. Here the transport
// decodes each container, image, volume and build-cache record as it
// arrives, holding one at a time, and hands the client an empty document;
// error answers reach the client untouched, so its errors stay its own.
func (c *Client) DiskUsage(ctx context.Context, opts types.DiskUsageOptions) (types.DiskUsage, error) {
	slot := &dfAnswer{}
	du, err := c.Client.DiskUsage(context.WithValue(ctx, dfAnswerKey{}, slot), opts)
	if err != nil {
		return du, err
	}
	if slot.decoded {
		return slot.du, slot.err
	}
	return du, nil
}

// takeDiskUsage decodes a successful /system/df answer into the slot the
// request carries, if any, and leaves resp an empty document in its place.
func takeDiskUsage(req *http.Request, resp *http.Response) {
	slot, ok := req.Context().Value(dfAnswerKey{}).(*dfAnswer)
	if !ok || resp.StatusCode != http.StatusOK {
		return
	}
	slot.du, slot.err = decodeDiskUsageStream(resp.Body)
	slot.decoded = true
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader("{}"))
	resp.ContentLength = 2
}

// decodeDiskUsageStream decodes a DiskUsage document holding one array
// element in memory at a time. Keys other than the four lists (small
// scalars) are gathered and decoded as the document would be, so a field
// a newer client type adds is not lost.
func decodeDiskUsageStream(r io.Reader) (types.DiskUsage, error) {
	var du types.DiskUsage
	dec := json.NewDecoder(r)
	fail := func(err error) (types.DiskUsage, error) {
		return types.DiskUsage{}, fmt.Errorf("reading the disk usage answer: %w", err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return fail(err)
	}
	rest := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		switch key {
		case "Images":
			du.Images, err = decodeList(dec, du.Images)
		case "Containers":
			du.Containers, err = decodeList(dec, du.Containers)
		case "Volumes":
			du.Volumes, err = decodeList(dec, du.Volumes)
		case "BuildCache":
			du.BuildCache, err = decodeList(dec, du.BuildCache)
		default:
			var raw json.RawMessage
			err = dec.Decode(&raw)
			rest[key] = raw
		}
		if err != nil {
			return fail(err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return fail(err)
	}
	if len(rest) > 0 {
		b, err := json.Marshal(rest)
		if err != nil {
			return fail(err)
		}
		lists := du
		if err := json.Unmarshal(b, &du); err != nil {
			return fail(err)
		}
		du.Images, du.Containers, du.Volumes, du.BuildCache = lists.Images, lists.Containers, lists.Volumes, lists.BuildCache
	}
	return du, nil
}

// decodeList decodes a JSON array (or null) of T one element at a time.
func decodeList[T any](dec *json.Decoder, into []*T) ([]*T, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return into, nil // null
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("want a list, got %v", tok)
	}
	if into == nil {
		into = []*T{} // [] decodes to an empty list, not to nil
	}
	for dec.More() {
		var v *T
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		into = append(into, v)
	}
	return into, expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}
