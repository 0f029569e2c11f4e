// Command oversight serves and maintains the Oversight registry: an open
// registry of surveillance technology used against freedom of religion or
// belief. Run it with no arguments to serve a seeded registry.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // -h printed the usage; asking for it is no error
		}
		fmt.Fprintln(os.Stderr, "oversight:", err)
		stop()
		os.Exit(exitCode(err))
	}
}
