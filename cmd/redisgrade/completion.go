package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// newCompletionCmd replaces cobra's: the same scripts, but the bash one also
// works where the bash-completion package is not installed (cobra's calls
// that package's _get_comp_words_by_ref).
func newCompletionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script: commands, flags, exercises, formats, engines, steps",
		Long: "completion prints a script that completes redisgrade's commands, flags and their values (exercise\n" +
			"names, formats, engines, a workspace's steps) in your shell. Load it for this shell or for good:\n\n" +
			"  bash:  source <(redisgrade completion bash)      or save it to ~/.local/share/bash-completion/completions/redisgrade\n" +
			"  zsh:   redisgrade completion zsh > \"${fpath[1]}/_redisgrade\"   (with compinit enabled)\n" +
			"  fish:  redisgrade completion fish > ~/.config/fish/completions/redisgrade.fish\n\n" +
			"The bash script needs no bash-completion package; with it, words with = and : are split better.",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				var script bytes.Buffer
				if err := root.GenBashCompletionV2(&script, true); err != nil {
					return err
				}
				_, err := io.WriteString(out, bashFallback+script.String())
				return err
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return usageError(fmt.Errorf("completion: unknown shell %q; known: bash, zsh, fish, powershell", args[0]))
		},
	}
	return cmd
}

// bashFallback defines a minimal _get_comp_words_by_ref where the
// bash-completion package does not: the words so far, rejoining the words
// bash split at the characters given with -n (cobra passes "=:", so
// --format=j stays one word).
//
//go:embed completion_fallback.bash
var bashFallback string
