// Command pbx runs the yimen softswitch.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/yimen/yimen/cmd/pbx/boot"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/version"
)

func main() {
	cfgPath := flag.String("config", "configs/demo.yaml", "configuration file")
	recoverAdmin := flag.String("recover-admin", "", "TENANT/NAME: restore an administrator who lost their password or second factor (prints a one-time password, audited), then exit")
	showVersion := flag.Bool("version", false, "print the version, commit and platform, then exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("pbx", version.Get())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *recoverAdmin != "" {
		tenant, name, ok := strings.Cut(*recoverAdmin, "/")
		cfg, err := config.Load(*cfgPath, os.Environ())
		if err == nil && !ok {
			err = fmt.Errorf("-recover-admin wants TENANT/NAME, got %q", *recoverAdmin)
		}
		if err == nil {
			err = boot.RecoverAdministrator(ctx, cfg, os.Environ(), tenant, name, os.Stdout)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "pbx:", err)
			os.Exit(1)
		}
		return
	}
	if err := boot.RunPBX(ctx, *cfgPath, os.Environ(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pbx:", err)
		os.Exit(1)
	}
}
