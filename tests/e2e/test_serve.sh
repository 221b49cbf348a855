# kaohe serve (engine/cli/cmd_serve.c, engine/output/web.c): the workbench
# over HTTP on loopback, read with curl. Each request carries its own
# changes; bad values answer 400 with --set's message; the Host header is
# checked; requests are bounded; SIGTERM stops it cleanly; nothing is
# written.

# serve_sample [ARGS...]: starts kaohe serve on a free port; sets BASE.
serve_sample() {
    start_kaohe serve "$SAMPLE_DB" --port 0 "$@"
    local i
    for i in $(seq 1 100); do
        BASE=$(sed -n 's/.*\(http:\/\/[0-9.]*:[0-9]*\)\/.*/\1/p' "$TEST_META/bg.stdout")
        [ -n "$BASE" ] && return 0
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$TEST_META/bg.stderr"
    die "kaohe serve did not start"
}

stop_server() {
    kill -TERM "$BG_PID" 2>/dev/null
    wait "$BG_PID"
    SERVER_EXIT=$?
}

# get PATH [CURL ARGS...]: the body in reply.json, the status in $CODE.
get() {
    local path=$1
    shift
    CODE=$(curl -s -o reply.json -w '%{http_code}' "$@" "$BASE$path")
}

whatif() {
    CODE=$(curl -s -o reply.json -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "$1" "$BASE/api/whatif")
}

json() {
    python3 -c 'import json,sys; d=json.load(open("reply.json")); print(eval(sys.argv[1]))' "$1"
}

test_serve_answers_the_page_and_every_list() {
    serve_sample
    get /
    expect_eq "$CODE" 200 "the page"
    grep -q '情景推演' reply.json || fail "the page is not the workbench"
    grep -q 'https\?://[a-z]' reply.json && fail "the page loads something from the network"
    get /api/overview
    expect_eq "$CODE" 200 "overview"
    expect_eq "$(json 'd["communities"]')" 50 "communities in the overview"
    get /api/communities
    expect_eq "$(json 'len(d["rows"])')" 50 "rows of the ranking"
    expect_eq "$(json 'd["rows"][0]["rank"]')" 1 "the ranking is in rank order"
    get "/api/community?id=3710010101"
    expect_eq "$(json 'd["name"]')" 新华社区 "the community card"
    expect_eq "$(json 'len(d["indicators"])')" 33 "indicators on the card"
    get /api/workers
    expect_eq "$CODE" 200 "workers"
    get /api/decisions
    expect_eq "$CODE" 200 "decisions"
    get /api/params
    expect_eq "$(json '[p["name"] for p in d["params"]].count("stars.five")')" 1 "params"
    stop_server
    expect_eq "$SERVER_EXIT" 0 "kaohe serve after SIGTERM"
    grep -q '已停止' "$TEST_META/bg.stdout" || fail "no word of stopping"
}

test_serve_whatif_names_the_flipped_communities_and_workers() {
    serve_sample
    whatif '{"set": {"stars.five": 80}}'
    expect_eq "$CODE" 200 "a what-if"
    # The same change through the command line gives the same communities.
    run_kaohe whatif "$SAMPLE_DB" --set stars.five=80 --json
    python3 -c 'import json,sys
a=json.load(open("reply.json")); b=json.load(open(sys.argv[1]))
sa=sorted(c["name"] for c in a["communities"]); sb=sorted(c["name"] for c in b["communities"])
assert sa==sb and len(sa)>0, (sa, sb)' "$LAST_STDOUT" || fail "the workbench and kaohe whatif disagree"
    whatif '{"set": {"elimination.bottom_ratio": 0.2}}'
    expect_eq "$CODE" 200 "a what-if on workers"
    [ "$(json 'sum(1 for w in d["workers"] if w["flag_after"]=="bottom_ratio" and w["name"])')" -gt 0 ] ||
        fail "no newly flagged worker with a name"
    stop_server
}

test_serve_keeps_no_scenario_between_requests() {
    serve_sample
    whatif '{"set": {"stars.five": 80}}'
    local first
    first=$(json 'd["summary"]["stars_changed"]')
    [ "$first" -gt 0 ] || fail "the first scenario changed nothing"
    whatif '{"set": {}}'
    expect_eq "$(json 'd["summary"]["stars_changed"]')" 0 "a request without changes after another's"
    whatif '{"set": {"stars.five": 80}}'
    expect_eq "$(json 'd["summary"]["stars_changed"]')" "$first" "the same scenario again"
    stop_server
}

test_serve_refuses_a_bad_value_with_the_message_of_set() {
    serve_sample
    whatif '{"set": {"stars.five": "abc"}}'
    expect_eq "$CODE" 400 "a value that is not a number"
    run_kaohe eval "$SAMPLE_DB" --set stars.five=abc
    local message
    message=$(sed 's/^kaohe: //' "$LAST_STDERR" | head -1)
    expect_eq "$(json 'd["error"]')" "$message" "the 400's message"
    whatif '{"set": {"no.such": 1}}'
    expect_eq "$CODE" 400 "an unknown parameter"
    whatif 'not json'
    expect_eq "$CODE" 400 "a body that is not JSON"
    whatif '{"set": {"F01.max": 12}}'
    expect_eq "$CODE" 400 "a change that breaks the rules' invariants"
    stop_server
}

test_serve_checks_the_host_header() {
    serve_sample
    get /api/overview -H "Host: attacker.example:80"
    expect_eq "$CODE" 421 "a foreign Host"
    get /api/overview -H "Host:"
    expect_eq "$CODE" 421 "no Host"
    get /api/overview -H "Host: localhost:${BASE##*:}"
    expect_eq "$CODE" 200 "localhost"
    stop_server
}

test_serve_bounds_what_a_request_may_send() {
    serve_sample
    head -c 200000 /dev/zero | tr '\0' 'x' >big.txt
    CODE=$(curl -s -o reply.json -w '%{http_code}' --data-binary @big.txt "$BASE/api/whatif")
    expect_eq "$CODE" 413 "a body over 64 KiB"
    get /api/nothing
    expect_eq "$CODE" 405 "an unknown API address"
    get /../../etc/passwd --path-as-is
    expect_eq "$CODE" 404 "a path outside the page"
    CODE=$(curl -s -o reply.json -w '%{http_code}' -X DELETE "$BASE/api/overview")
    expect_eq "$CODE" 405 "another method"
    local sets
    sets=$(python3 -c 'import json; print(json.dumps({"set": {f"p{i}": 1 for i in range(65)}}))')
    whatif "$sets"
    expect_eq "$CODE" 400 "more than 64 changes"
    stop_server
}

test_serve_writes_nothing() {
    cp "$SAMPLE_DB" mine.db
    local before
    before=$(file_sha mine.db)
    start_kaohe serve mine.db --port 0
    local i
    for i in $(seq 1 100); do
        BASE=$(sed -n 's/.*\(http:\/\/[0-9.]*:[0-9]*\)\/.*/\1/p' "$TEST_META/bg.stdout")
        [ -n "$BASE" ] && break
        sleep 0.1
    done
    whatif '{"set": {"stars.five": 80}}'
    stop_server
    expect_eq "$(file_sha mine.db)" "$before" "the snapshot after serving"
    expect_dir_holds . mine.db reply.json
}

test_serve_listens_on_loopback_unless_told() {
    serve_sample
    case $BASE in http://127.0.0.1:*) ;; *) fail "listening on $BASE" ;; esac
    stop_server
    run_kaohe serve "$SAMPLE_DB" --listen not-an-address
    expect_exit 2
}

test_serve_answers_concurrent_scenarios_each_its_own() {
    serve_sample
    local i pids=()
    for i in $(seq 1 24); do
        local value=$((i % 2 == 0 ? 80 : 95))
        curl -s -o "answer-$i.json" -H 'Content-Type: application/json' \
            --data-binary "{\"set\": {\"stars.five\": $value}}" "$BASE/api/whatif" &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in $(seq 1 24); do
        local value=$((i % 2 == 0 ? 80 : 95))
        python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); c=d["changed_parameters"]
assert c==[{"name":"stars.five","before":"90","after":sys.argv[2]}], c' "answer-$i.json" "$value" ||
            fail "request $i got another request's scenario"
    done
    stop_server
}
