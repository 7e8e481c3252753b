package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/redisgrade/redisgrade/demo"
	"github.com/redisgrade/redisgrade/engine"
	"github.com/redisgrade/redisgrade/exercises"
	"github.com/redisgrade/redisgrade/internal/suggest"
	"github.com/redisgrade/redisgrade/report"
	"github.com/redisgrade/redisgrade/workspace"
)

// colorModes are the values of --color.
var colorModes = []string{"auto", "always", "never"}

// choose returns the choice value names, ignoring case. Anything else is bad
// input whose message suggests the nearest choice: `--format: unknown format
// "jsn" (did you mean "json"?); known: ...`.
func choose(flag, what, value string, choices []string) (string, error) {
	for _, c := range choices {
		if strings.EqualFold(c, value) {
			return c, nil
		}
	}
	return "", usageError(fmt.Errorf("--%s: unknown %s %q%s; known: %s", flag, what, value, suggest.Hint(value, choices), strings.Join(choices, ", ")))
}

func chooseFormat(value string) (string, error) {
	return choose("format", "format", value, report.Formats())
}
func chooseEngine(value string) (string, error) {
	return choose("engine", "engine", value, engine.Kinds())
}

// Shell completion of flag values and arguments: the same lists the flags
// accept, so a completed value is always a valid one.

func completeWith(values func() []string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values(), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeExercise offers the shipped exercises and, since a spec file is
// also accepted, the .yaml files around.
func completeExercise(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.ContainsRune(toComplete, '/') || strings.HasPrefix(toComplete, ".") {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}
	return exercises.Shipped(), cobra.ShellCompDirectiveNoFileComp
}

// registerCompletions wires value completion to every flag of cmd and its
// subcommands that takes one of our lists, wherever the flag is defined.
func registerCompletions(cmd *cobra.Command) {
	funcs := map[string]cobra.CompletionFunc{
		"exercise": completeExercise,
		"format":   completeWith(report.Formats),
		"engine":   completeWith(engine.Kinds),
		"color":    completeWith(func() []string { return colorModes }),
	}
	for name, fn := range funcs {
		if cmd.Flags().Lookup(name) != nil {
			_ = cmd.RegisterFlagCompletionFunc(name, fn)
		}
	}
	if args, ok := argCompletions[cmd.CommandPath()]; ok && cmd.ValidArgsFunction == nil {
		cmd.ValidArgsFunction = args
	}
	for _, c := range cmd.Commands() {
		registerCompletions(c)
	}
}

// argCompletions completes the arguments of the commands that take names.
var argCompletions = map[string]cobra.CompletionFunc{
	"redisgrade init": func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return completeExercise(cmd, args, toComplete)
		}
		if len(args) == 1 {
			return nil, cobra.ShellCompDirectiveFilterDirs // DIR
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	},
	"redisgrade show":          firstArg(completeExercise),
	"redisgrade exercise lint": completeExercise,
	"redisgrade exercise test": completeExercise,
	"redisgrade demo":          firstArg(completeWith(demo.Exercises)),
	"redisgrade play":          firstArg(completeExercise),
	"redisgrade hint":          firstArg(completeStep),
}

// firstArg completes the first argument only.
func firstArg(fn cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}

// completeStep offers the steps of the workspace hint would read (its
// --dir): each number with the step's title, and each file.
func completeStep(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	dir, _ := cmd.Flags().GetString("dir")
	if dir == "" {
		dir = "."
	}
	ws, err := workspace.Open(dir)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ex, err := ws.Exercise()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	// A shell prints the descriptions: the spec's titles, escapes shown.
	for i, s := range ex.Steps {
		out = append(out, fmt.Sprintf("%d\t%s", i+1, report.VisibleLine(s.Title)))
	}
	for _, s := range ex.Steps {
		out = append(out, s.File+"\t"+report.VisibleLine(s.Title))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
