// Command pbx runs the yimen softswitch.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/yimen/yimen/cmd/pbx/boot"
)

func main() {
	cfgPath := flag.String("config", "configs/demo.yaml", "configuration file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := boot.RunPBX(ctx, *cfgPath, os.Environ(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pbx:", err)
		os.Exit(1)
	}
}
