package main

import (
	"bytes"
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
const bashFallback = `# Where the bash-completion package is not installed: a minimal _get_comp_words_by_ref for the script below.
if ! declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
_get_comp_words_by_ref() {
    local exclude="" i j=0 at=0 word
    while [[ $# -gt 0 && $1 == -* ]]; do
        case $1 in
            -n) exclude=$2; shift 2 ;;
            *) shift ;;
        esac
    done
    local -a joined=()
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        word=${COMP_WORDS[i]}
        if ((i > 0 && j > 0)) && [[ -n $exclude ]] &&
            { [[ ${#word} -eq 1 && $exclude == *"$word"* ]] ||
              [[ ${#COMP_WORDS[i-1]} -eq 1 && $exclude == *"${COMP_WORDS[i-1]}"* ]]; }; then
            joined[j-1]+=$word
        else
            joined[j]=$word
            ((j++))
        fi
        ((i == COMP_CWORD)) && at=$((j - 1))
    done
    local var
    for var in "$@"; do
        case $var in
            cur) cur=${joined[at]} ;;
            prev) prev=${joined[at-1]} ;;
            words) words=("${joined[@]}") ;;
            cword) cword=$at ;;
        esac
    done
}
fi

`
