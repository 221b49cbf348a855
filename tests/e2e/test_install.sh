# make install (Makefile): the binary, the shipped rules and profiles, the
# sample, the editor files, the manual page and the bash completion, under
# DESTDIR/PREFIX; the installed binary finds its rules through its prefix
# from any folder, and a copied binary says where it looked.

install_into() {
    make -s -C "$REPO_ROOT" install DESTDIR="$1" PREFIX=/usr/local INSTALL_BIN="$KAOHE" \
        >make.out 2>&1 || { cat make.out; die "make install failed"; }
}

test_installed_kaohe_evaluates_from_another_folder() {
    install_into "$PWD/dest"
    local bin=$PWD/dest/usr/local/bin/kaohe share=$PWD/dest/usr/local/share
    [ -x "$bin" ] || fail "no $bin"
    [ -f "$share/kaohe/rules/stars.lua" ] || fail "the rules were not installed"
    [ -f "$share/kaohe/rules/profiles/yichang/profile.lua" ] || fail "the profiles were not installed"
    [ -f "$share/kaohe/fixtures/sample.db" ] || fail "the sample was not installed"
    mkdir elsewhere
    cp "$SAMPLE_DB" elsewhere/mine.db
    # Run from a folder that holds no rules, as a user would.
    (cd elsewhere && KAOHE_HOME= "$bin" eval mine.db --out results.db -q) ||
        fail "the installed kaohe could not evaluate from another folder"
    expect_sql elsewhere/results.db "SELECT count(*) > 0 FROM community_scores" 1
    (cd elsewhere && KAOHE_HOME= "$bin" eval mine.db -q --profile yichang) ||
        fail "the installed kaohe could not find its profiles"
}

test_installed_kaohe_lists_profiles_and_says_its_version() {
    install_into "$PWD/dest"
    local bin=$PWD/dest/usr/local/bin/kaohe
    KAOHE_HOME= "$bin" profiles >profiles.out || fail "kaohe profiles failed"
    grep -q '^yichang$' profiles.out || fail "kaohe profiles does not list yichang"
    grep -q '宜昌' profiles.out || fail "kaohe profiles does not say what yichang is"
    "$bin" --version | grep -q . || fail "kaohe --version printed nothing"
}

test_installed_manual_and_completion_come_from_the_command_table() {
    install_into "$PWD/dest"
    local share=$PWD/dest/usr/local/share bin=$PWD/dest/usr/local/bin/kaohe
    grep -q '^\.TH KAOHE 1' "$share/man/man1/kaohe.1" || fail "kaohe.1 is not a manual page"
    grep -q 'kaohe profiles' "$share/man/man1/kaohe.1" || fail "kaohe.1 misses a command"
    grep -q 'rule\\-sql\\-steps' "$share/man/man1/kaohe.1" || fail "kaohe.1 misses an option"
    local words
    words=$(PATH="$(dirname "$bin"):$PATH" bash -c '
        source "$1/bash-completion/completions/kaohe"
        COMP_WORDS=(kaohe ev); COMP_CWORD=1; _kaohe; echo "${COMPREPLY[*]}"
        COMP_WORDS=(kaohe export r.db --xl); COMP_CWORD=3; _kaohe; echo "${COMPREPLY[*]}"
        COMP_WORDS=(kaohe eval s.db --xl); COMP_CWORD=3; _kaohe; echo "[${COMPREPLY[*]}]"
        COMP_WORDS=(kaohe eval s.db --profile yi); COMP_CWORD=4; _kaohe; echo "${COMPREPLY[*]}"
    ' _ "$share")
    expect_eq "$words" "eval
--xlsx
[]
yichang" "bash completion of commands, options and profiles"
}

test_uninstall_removes_what_install_put() {
    install_into "$PWD/dest"
    make -s -C "$REPO_ROOT" uninstall DESTDIR="$PWD/dest" PREFIX=/usr/local >/dev/null 2>&1 ||
        fail "make uninstall failed"
    local left
    left=$(find dest -type f | head -3)
    [ -z "$left" ] || fail "make uninstall left $left"
}

test_a_copied_binary_says_where_it_looked_for_its_rules() {
    mkdir bin
    cp "$KAOHE" bin/kaohe
    mkdir work
    cp "$SAMPLE_DB" work/s.db
    # A folder that looks like a rule tree must not be taken for one.
    mkdir -p work/indicators
    (cd work && KAOHE_HOME= ../bin/kaohe eval s.db -q >../out.txt 2>../err.txt)
    local status=$?
    [ "$status" = 1 ] || fail "a copied kaohe exited $status, not 1"
    grep -q "cannot find kaohe's shipped rules" err.txt || fail "the message does not say what is missing: $(cat err.txt)"
    grep -q "KAOHE_HOME" err.txt || fail "the message does not say how to point at the rules"
}
