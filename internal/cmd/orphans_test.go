package cmd

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/dockctl/dockctl/internal/probe"
)

// An orphan is what both answers list: one only the first lists was
// being made (or removed) meanwhile.
func TestOrphansTwice(t *testing.T) {
	t.Parallel()
	o := func(names ...string) []probe.Orphan {
		out := []probe.Orphan{}
		for _, n := range names {
			out = append(out, probe.Orphan{Name: n, Bytes: 1})
		}
		return out
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		answers [][]probe.Orphan
		errs    []error
		want    []probe.Orphan
		asked   int
		wantErr error
	}{
		{name: "none: asked once", answers: [][]probe.Orphan{o()}, want: o(), asked: 1},
		{name: "both list them", answers: [][]probe.Orphan{o("a", "b"), o("b", "a")}, want: o("a", "b"), asked: 2},
		{name: "only the first lists one", answers: [][]probe.Orphan{o("a", "b"), o("b", "c")}, want: o("b"), asked: 2},
		{name: "the second fails", answers: [][]probe.Orphan{o("a"), nil}, errs: []error{nil, boom}, asked: 2, wantErr: boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			asked := 0
			got, err := twice(context.Background(), func(context.Context) ([]probe.Orphan, error) {
				asked++
				var err error
				if tc.errs != nil {
					err = tc.errs[asked-1]
				}
				return tc.answers[asked-1], err
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if asked != tc.asked {
				t.Errorf("asked %d times, want %d", asked, tc.asked)
			}
			if tc.wantErr == nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("twice = %v, want %v", got, tc.want)
			}
		})
	}
}
