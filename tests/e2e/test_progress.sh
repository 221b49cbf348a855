# Long commands show a progress line on a terminal, nothing when the output
# is not a terminal, and nothing with --quiet.

# on_terminal ARGS...: runs the engine with a pseudo-terminal as its output
# (util-linux `script`), capturing what the terminal would show.
on_terminal() {
    local cmd
    cmd=$(printf '%q ' "$KAOHE" "$@")
    script -qec "$cmd" /dev/null >tty.out 2>&1 </dev/null
}

test_progress_line_on_a_terminal_for_eval_and_sweeps() {
    command -v script >/dev/null || skip "util-linux script is not installed"
    on_terminal eval "$SAMPLE_DB"
    grep -aq "计算指标" tty.out || fail "no progress line for eval on a terminal"
    on_terminal whatif "$SAMPLE_DB" --sweep stars.five=85:95:1
    grep -aq "参数扫描" tty.out || fail "no progress line for a sweep on a terminal"
}

test_no_progress_when_not_a_terminal_or_quiet() {
    command -v script >/dev/null || skip "util-linux script is not installed"
    run_kaohe eval "$SAMPLE_DB"
    if grep -aq "计算指标" "$LAST_STDERR"; then fail "progress printed although stderr is a file"; fi
    on_terminal eval "$SAMPLE_DB" --quiet
    if grep -aq "计算指标" tty.out; then fail "progress printed despite --quiet"; fi
}
