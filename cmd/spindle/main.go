// Command spindle runs Dask clusters on Hadoop YARN: the client on edge
// nodes, the application master and the container runtime are all this one
// binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spindle-yarn/spindle/cli"
)

func main() {
	// Ctrl-C cancels the running command's context, so waits stop promptly
	// and connections close; a second Ctrl-C kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore the default action for the next signal
	}()
	code := cli.MainContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
