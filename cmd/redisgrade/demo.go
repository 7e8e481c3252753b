package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/demo"
	"github.com/redisgrade/redisgrade/grader"
)

func newDemoCmd() *cobra.Command {
	var f studentFlags
	var clients, runs int
	cmd := &cobra.Command{
		Use:   "demo [EXERCISE]",
		Short: "See it in action: lost updates and inconsistent reads without Lua, none with it",
		Long: "demo lua-atomicity sells units from many clients at once three ways: GET then SET from the client,\n" +
			"DECR and INCR as two commands, and one Lua script with EVAL. One more client samples stock and sales\n" +
			"all along. It shows each way live, then a table: inconsistent reads, lost updates, final stock and sales.",
		Example: "  redisgrade demo lua-atomicity\n  redisgrade demo lua-atomicity --clients 16 --runs 4000",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(fmt.Errorf("demo takes one exercise (%s), got %d arguments", strings.Join(demo.Exercises(), ", "), len(args)))
			}
			if len(args) == 1 && !demo.Has(args[0]) {
				return usageError(fmt.Errorf("no demo for %q (demos: %s)", args[0], strings.Join(demo.Exercises(), ", ")))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stdout, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			useColor, err := colorWanted(f.color, stdout)
			if err != nil {
				return usageError(err)
			}
			if clients < 2 || clients > 64 {
				return usageError(errors.New("--clients must be between 2 and 64"))
			}
			if runs < clients || runs > 100000 {
				return usageError(errors.New("--runs must be between --clients and 100000"))
			}
			eng, err := f.newEngine(cmd.Context(), stderr)
			if err != nil {
				return err
			}
			srv, err := eng.Start(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return &exitError{code: exitInfra, err: errors.New("interrupted")}
				}
				return &exitError{code: exitInfra, err: fmt.Errorf("start %s engine: %w", eng.Kind(), err)}
			}
			defer srv.Close()
			admin, connect := demo.Connections(srv)
			defer admin.Close()
			info := srv.Info()
			what := grader.ReportEngine(info).ServerName()
			if info.Emulator {
				what += ", an emulator"
			}
			fmt.Fprintf(stdout, "%s engine, %s\n", info.Kind, what)
			d := demo.Demo{Clients: clients, Runs: runs, Stock: 1000, Out: stdout, Live: studentTerminal(stdout), Color: useColor}
			if file, ok := stdout.(*os.File); ok && d.Live {
				d.Width = demo.TerminalWidth(file.Fd())
			}
			results, err := d.Run(ctx, admin, connect, demo.Ways())
			if err != nil {
				if ctx.Err() != nil {
					return &exitError{code: exitInfra, err: errors.New("interrupted")}
				}
				return &exitError{code: exitInfra, err: err}
			}
			if err := d.Summary(results); err != nil {
				return &exitError{code: exitInfra, err: err}
			}
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().IntVar(&clients, "clients", 8, "clients selling at once")
	cmd.Flags().IntVar(&runs, "runs", 1000, "units sold in all, shared by the clients")
	return cmd
}
