# The command table (engine/cli/main.c, options.c): each command takes its
# own arguments and options; anything else is refused, exit 2, naming the
# option and the command; help is per command; near misses get a guess.

test_an_option_of_another_command_is_refused_naming_both() {
    run_kaohe eval "$SAMPLE_DB" --out results.db --xlsx foo.xlsx
    expect_exit 2
    expect_stderr_contains "--xlsx is not an option of kaohe eval" "export"
    expect_file_absent results.db
    run_kaohe export results.db --xlsx f.xlsx --set A01.max=9
    expect_exit 2
    expect_stderr_contains "--set is not an option of kaohe export"
    expect_file_absent f.xlsx
}

test_every_command_refuses_the_options_it_does_not_take() {
    # gen takes --seed, eval does not; report takes --run, eval does not;
    # eval takes --jobs, report does not; admit takes --title, check does not.
    local pair
    for pair in "eval:--seed=3" "eval:--run=1" "eval:--title=x" "report:--jobs=2" \
        "check:--title=x" "params:--out=x.db" "import:--set=a=1" "verify:--profile=yichang"; do
        run_kaohe "${pair%%:*}" --help "${pair#*:}"
        expect_exit 2
        local option=${pair#*:}
        expect_stderr_contains "${option%%=*} is not an option of kaohe ${pair%%:*}"
    done
}

test_command_help_is_that_commands_own() {
    run_kaohe eval --help
    expect_exit 0
    expect_stdout_contains "usage: kaohe eval SNAPSHOT" "--timings" "--near"
    if grep -q -- "--xlsx\|--communities\|--title" "$LAST_STDOUT"; then
        fail "kaohe eval --help lists options eval does not take"
    fi
    run_kaohe help export
    expect_exit 0
    expect_stdout_contains "usage: kaohe export RESULTS" "--xlsx"
}

test_an_unknown_command_gets_the_closest_name() {
    run_kaohe evall "$SAMPLE_DB"
    expect_exit 2
    expect_stderr_contains "unknown command 'evall'" "did you mean 'eval'?"
    run_kaohe xyzzy
    expect_exit 2
    expect_stderr_not_contains "did you mean"
}

test_an_unknown_option_gets_the_closest_of_the_commands_options() {
    run_kaohe eval "$SAMPLE_DB" --outt results.db
    expect_exit 2
    expect_stderr_contains "unknown option --outt" "did you mean --out?"
    expect_file_absent results.db
    run_kaohe whatif "$SAMPLE_DB" --sweeep stars.five=80:90:5
    expect_exit 2
    expect_stderr_contains "did you mean --sweep?"
}

test_an_unknown_profile_lists_the_shipped_profiles() {
    run_kaohe eval "$SAMPLE_DB" --profile nowhere
    expect_exit 1
    expect_stderr_contains "no profile 'nowhere'" "yichang" "tieshan"
    run_kaohe eval "$SAMPLE_DB" --profile ../rules
    expect_exit 1
    expect_stderr_contains "no profile '../rules'"
}

test_a_positional_argument_too_many_is_refused() {
    run_kaohe eval "$SAMPLE_DB" "$SAMPLE_DB" --out results.db
    expect_exit 2
    expect_stderr_contains "unexpected argument"
    expect_file_absent results.db
}

test_a_missing_argument_names_what_is_missing() {
    run_kaohe report --out r.html
    expect_exit 2
    expect_stderr_contains "which RESULTS?"
    expect_file_absent r.html
}
