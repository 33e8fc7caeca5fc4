package cmd

import (
	"context"
	"fmt"
	"time"
)

// sizingAfter is how long a /system/df runs before the user is told: a
// wait that long with nothing said looks like a hang.
const sizingAfter = 2 * time.Second

// sizingProgress is inspect.Sizing's hook: on a terminal, once a df
// request has run sizingAfter, one stderr line says what the engine is
// doing and for how long, rewritten in place each second and cleared when
// the answer is in. The counts are not known before the answer (df is
// what lists the containers), so the line names the kinds only. Off a
// terminal it says nothing: a log of "12s, 13s, …" helps no one.
func (e RunEnv) sizingProgress() (done func()) {
	if !e.IO.ErrIsTTY {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	start := e.Now()
	go func() {
		defer close(finished)
		if e.Sleep(ctx, sizingAfter) != nil {
			return
		}
		for {
			fmt.Fprintf(e.IO.ErrOut, "\rdockctl: sizing containers and volumes in the engine… %v", e.Now().Sub(start).Round(time.Second))
			if e.Sleep(ctx, time.Second) != nil {
				break
			}
		}
		fmt.Fprint(e.IO.ErrOut, "\r\033[K")
	}()
	return func() {
		cancel()
		<-finished
	}
}
