# Where the bash-completion package is not installed: a minimal _get_comp_words_by_ref for the script below.
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

