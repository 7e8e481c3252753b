// Command redisgrade grades Redis exercises: a student's commands and Lua
// scripts run on a fresh, real Redis and are checked step by step.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/position"
	"github.com/redisgrade/redisgrade/report"
)

// Exit codes, as documented in the README.
const (
	exitPassed = 0 // every step passed
	exitFailed = 1 // graded; some step failed
	exitUsage  = 2 // bad spec, submission path or flags
	exitInfra  = 3 // the grader itself could not grade
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error // nil when the command already said all there is to say
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

// oneArg accepts exactly one positional argument, else a usage error (exit
// 2) saying what the command takes: "grade takes one submission (...)".
func oneArg(command, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageError(fmt.Errorf("%s takes one %s, got %d arguments", command, what, len(args)))
		}
		return nil
	}
}

// exerciseFlag registers --exercise (-e): a shipped exercise's name or a spec file.
func exerciseFlag(fl *pflag.FlagSet, p *string) {
	fl.StringVarP(p, "exercise", "e", "", "exercise name ("+strings.Join(exercises.Shipped(), ", ")+"; any case) or path to a spec .yaml")
}

func main() {
	// The embedded engine re-executes this binary to serve miniredis in a
	// child process the grader can kill.
	engine.ServeEmbeddedIfChild()

	// go-redis logs failed dials to stderr by itself; a dead server is
	// something the grader handles and reports, not noise for the user.
	redis.SetLogger(quietLogger{})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitPassed
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			printError(stderr, ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown flags, wrong argument counts.
	printError(stderr, err)
	return exitUsage
}

// printError writes err with "redisgrade: " before each of its lines, so
// that every line a log collects says where it came from. Indented lines
// (a command to run, a list, a spec's line under its error) keep their
// indent after the prefix. Errors quote submissions (entry names,
// replies): never raw to a terminal.
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(strings.TrimRight(position.Explain(err), "\n"), "\n") {
		fmt.Fprintf(w, "redisgrade: %s\n", report.Visible(line))
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "redisgrade",
		Short: "Grade Redis exercises on a real Redis",
		Long: "redisgrade runs a student's Redis commands and Lua scripts on a fresh Redis server and checks,\n" +
			"step by step, the keys they leave, the replies they get and how they behave under concurrency.",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("redisgrade {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(newGradeCmd(), newMatrixCmd())
	root.AddCommand(newInitCmd(), newCheckCmd(), newHintCmd(), newDemoCmd(), newPlayCmd())
	root.AddCommand(newExerciseCmd(), newListCmd(), newShowCmd())
	root.AddCommand(newBatchCmd(), newBenchCmd())
	root.AddCommand(newBundleCmd())
	root.AddCommand(newServeCmd(), newWorkerCmd())
	root.AddCommand(newCompletionCmd())
	registerCompletions(root)
	defaultsOnce(root)
	return root
}

// defaultsOnce keeps help from naming a default twice. A flag whose usage
// says its default in words ("default: cores + 1") would also get cobra's
// "(default 3)": blank the latter, which only help reads.
func defaultsOnce(cmd *cobra.Command) {
	hide := func(f *pflag.Flag) {
		if strings.Contains(f.Usage, "(default") {
			switch f.Value.Type() {
			case "int", "int64", "float64", "uint":
				f.DefValue = "0"
			case "duration":
				f.DefValue = "0s"
			case "bool":
				f.DefValue = "false"
			default:
				f.DefValue = ""
			}
		}
	}
	cmd.Flags().VisitAll(hide)
	cmd.PersistentFlags().VisitAll(hide)
	for _, c := range cmd.Commands() {
		defaultsOnce(c)
	}
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
