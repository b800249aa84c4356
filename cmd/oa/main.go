// Command oa runs the yimen OA server: customers, contact records and
// tickets, beside the PBX and linked to it by the CTI websocket only.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	// Report days begin in reports.timezone (Asia/Shanghai) even on a
	// host without a zone database.
	_ "time/tzdata"

	"github.com/yimen/yimen/cmd/oa/oaboot"
	"github.com/yimen/yimen/internal/version"
)

func main() {
	if version.Asked(os.Args[1:]) {
		fmt.Println("oa", version.Get())
		return
	}
	cfgPath := flag.String("config", "configs/oa-demo.yaml", "configuration file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := oaboot.RunOA(ctx, *cfgPath, os.Environ(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oa:", err)
		os.Exit(1)
	}
}
