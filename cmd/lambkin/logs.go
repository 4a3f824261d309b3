package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/lambkin/lambkin/internal/logs"
)

// logsCommand prints a function's log group: lambkin logs FUNCTION [--follow].
func logsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "./.lambkin", "lambkin's data directory")
	region := fs.String("region", "us-east-1", "the function's region")
	group := fs.String("log-group", "", "log group (default /aws/lambda/FUNCTION)")
	follow := fs.Bool("follow", false, "keep printing new events")
	// Accept flags before and after the function name.
	var positional []string
	for rest := args; len(rest) > 0; {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fmt.Fprintln(stderr, "usage: lambkin logs FUNCTION [--follow] [--data-dir DIR] [--region REGION] [--log-group GROUP]")
		return 2
	}
	if *group == "" {
		*group = "/aws/lambda/" + positional[0]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := logs.Open(filepath.Join(*dataDir, "logs")).Print(ctx, *region, *group, stdout, *follow); err != nil {
		fmt.Fprintln(stderr, "lambkin logs:", err)
		return 1
	}
	return 0
}
