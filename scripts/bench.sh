#!/usr/bin/env bash
# bench.sh - measure mpmd beside Apache httpd and nginx with ../shared/bench/anchors.sh, print
# mpmd's ratios to Apache (same MPM) and nginx, and write the tables into docs/BENCHMARKS.md (the
# "Latest run: <MPM> MPM" section of that MPM; the text above and other MPMs' sections are kept).
#
# Usage: bash scripts/bench.sh            (MPM=worker bash scripts/bench.sh, MPM=event ...)
#
# Knobs (environment), passed on to anchors.sh (see its header for the rest: ROUNDS, DURATION,
# WARMUP, THREADS, OUT_DIR, NO_INSTALL, ...):
#   MPM         mpmd's MPM: prefork (default), worker or event
#   SERVERS     default "$MPM nginx candidate": Apache with the same MPM as mpmd, nginx, mpmd
#   TESTS       default "static1k static100k proxy1k static1k_c200 static1k_close" (proxy1k:
#               GET /proxy/index.html, proxied by a [[proxy]] rule to anchors.sh's backend;
#               mpmd's backend connection reuse, connections opened per 1000 proxied requests
#               from its ?json proxy_workers counters sampled once a second, is reported)
#   CLOSE_SERVERS  servers that get static1k_close (default "$MPM nginx candidate")
#   ACCESS_LOG  1 = every server writes an access log (default 0: none does)
#   REPORT      0 = only print the tables and ratios, leave docs/BENCHMARKS.md alone (smoke runs)
#   ANCHORS     path of anchors.sh (default: ../shared/bench/anchors.sh beside the repo)
#
# mpmd runs as the "candidate": release build, in the foreground, with the same MPM numbers as
# Apache's bench config: prefork as conf/mpm-prefork.conf there (StartServers 5,
# MinSpareServers 5, MaxSpareServers 10, MaxRequestWorkers 150); worker and event as
# conf/mpm-worker.conf / mpm-event.conf, i.e. the compiled-in defaults (StartServers 3,
# ThreadsPerChild 25, Min/MaxSpareThreads 75/250, MaxRequestWorkers 400,
# AsyncRequestWorkerFactor 2), which are mpmd's defaults too. Keep-alive on with Apache's
# defaults, sendfile on (as the anchors). Everything listens on 127.0.0.1 only.
#
# Internal: `bench.sh candidate` is what anchors.sh runs (through CANDIDATE_CMD) to start mpmd;
# it renders the config into $RUN_DIR and execs the server, so the server keeps the pid
# anchors.sh signals and measures.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/bench.sh"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Runs inside anchors.sh's `setsid bash -c "$CANDIDATE_CMD"`, with PORT, DOCROOT, RUN_DIR set.
start_candidate() {
    : "${PORT:?}" "${DOCROOT:?}" "${RUN_DIR:?}" "${MPMD_BIN:?}" "${BACKEND_URL:?}"
    local access_log='""' mpm_keys
    [[ "${ACCESS_LOG:-0}" == 1 ]] && access_log="\"$RUN_DIR/access.log\""
    case "${MPM:-prefork}" in
    prefork) mpm_keys=$'module = "prefork"\nstart_servers = 5\nmin_spare_servers = 5\nmax_spare_servers = 10\nmax_request_workers = 150' ;;
    worker | event) mpm_keys="module = \"$MPM\"" ;;
    *) die "MPM must be prefork, worker or event, not $MPM" ;;
    esac
    cat >"$RUN_DIR/mpmd.toml" <<EOF
# Rendered by scripts/bench.sh for anchors.sh.
listen = ["127.0.0.1:$PORT"]
pid_file = "$RUN_DIR/mpmd.pid"
error_log = "$RUN_DIR/error.log"
log_level = "warn"

[mpm]
$mpm_keys

[http]
keep_alive = true
keep_alive_timeout = 5
max_keep_alive_requests = 100
enable_sendfile = true
types_config = "$ROOT/conf/mime.types"

[log]
access_log = $access_log

[files]
document_root = "$DOCROOT"
directory_index = ["index.html"]

[[location]]
path = "/server-status"
handler = "server-status"
require = ["local"]

[[proxy]]
path = "/proxy/"
url = "$BACKEND_URL"
EOF
    # The proxy's shared counters, once a second while this server lives (this shell's pid
    # becomes the server's with exec): "<start> <requests> <connections opened>" lines.
    if [[ -n "${OUT_DIR:-}" ]]; then
        local me=$$ start
        start="$(date +%s%N)"
        (
            while kill -0 "$me" 2>/dev/null; do
                sleep 1
                curl -s --max-time 2 "http://127.0.0.1:$PORT/server-status?json" 2>/dev/null |
                    grep -o '"proxy_workers":\[{[^]]*' |
                    sed -E 's/.*"requests":([0-9]+),"connections_opened":([0-9]+).*/\1 \2/' |
                    sed "s/^/$start /" >>"$OUT_DIR/mpmd-proxy-counters.txt" || true
            done
        ) </dev/null >/dev/null 2>&1 &
    fi
    exec "$MPMD_BIN" -f "$RUN_DIR/mpmd.toml" -D FOREGROUND
}

# Backend connections opened per 1000 proxied requests, from the last counters of each mpmd
# start (see start_candidate).
proxy_reuse() {
    local f="$1/mpmd-proxy-counters.txt"
    [[ -s "$f" ]] || return 0
    awk '{ req[$1] = $2; conn[$1] = $3 }
         END { for (s in req) { r += req[s]; c += conn[s] }
               if (r > 0) printf "mpmd backend connections: %d opened for %d proxied requests (%.2f per 1000)\n", c, r, 1000 * c / r }' "$f"
}

# Mean req/s per server and test over the rounds, as "ratio (mpmd vs anchor)" cells: mpmd against
# Apache with the same MPM, and against nginx (anchors.sh's results.tsv: round, server, test,
# conns, req/s, p50, p99, transfer/s, errors).
ratios() {
    local results="$1" apache="$MPM" mpmd="$CANDIDATE_NAME"
    echo "## Ratios (mpmd / anchor, mean req/s of the rounds)"
    echo
    echo "| test | conns | $mpmd / Apache $apache | $mpmd / nginx | errors ($mpmd) |"
    echo "|---|---|---|---|---|"
    awk -F'\t' -v apache="$apache" -v mpmd="$mpmd" -v tests="$TESTS" '
        { sum[$2 SUBSEP $3] += $5; n[$2 SUBSEP $3]++; conns[$3] = $4
          if ($2 == mpmd) err[$3] += $9 }
        function mean(s, t) { return n[s SUBSEP t] ? sum[s SUBSEP t] / n[s SUBSEP t] : 0 }
        function cell(a, b) {
            if (a == 0 || b == 0) return "-"
            return sprintf("%.2f (%.1fk vs %.1fk)", a / b, a / 1000, b / 1000)
        }
        END {
            nt = split(tests, T, " ")
            for (j = 1; j <= nt; j++) {
                t = T[j]
                if (!(t in conns)) continue
                m = mean(mpmd, t)
                printf "| %s | %s | %s | %s | %d |\n", t, conns[t], cell(m, mean(apache, t)),
                    cell(m, mean("nginx", t)), err[t]
            } }' "$results"
}

# Writes the run into docs/BENCHMARKS.md: the section "## Latest run: $MPM MPM ..." is replaced
# (or appended); the text above the first "## Latest run" and the other MPMs' sections are kept.
# A new file gets a methodology section first.
write_report() {
    local out_dir="$1" doc="$ROOT/docs/BENCHMARKS.md" section="$1/section.md"
    mkdir -p "$ROOT/docs"
    if [[ ! -f "$doc" ]]; then
        cat >"$doc" <<'EOF'
# Benchmarks

## Methodology

`bash scripts/bench.sh` runs `../shared/bench/anchors.sh` with mpmd as the candidate server. Each
server (Apache httpd 2.4 with the MPM mpmd runs, nginx, and mpmd) is started by hand on
127.0.0.1, measured alone with `wrk --latency` (2 threads, 10 s per test after a 2 s warm-up,
2 rounds in alternating order), then stopped. Content: `index.html` of exactly 1 KiB and a
100 KiB binary. `static1k_c200` uses 200 connections, the others 50; `static1k_close` sends
`Connection: close` (no keep-alive). Access logs are off for every server unless `ACCESS_LOG=1`.

mpmd runs the release build with the MPM given by `MPM=` (prefork by default) and Apache's
bench numbers (prefork: start_servers 5, min_spare_servers 5, max_spare_servers 10,
max_request_workers 150; worker and event: the compiled-in defaults, which mpmd shares),
keep-alive with Apache's defaults (5 s, 100 requests), sendfile on. Memory is read after each
round: RSS counts shared pages in every process, PSS splits them (the honest total of a forking
server).
EOF
    fi
    {
        printf '## Latest run: %s MPM (%s)\n\n' "$MPM" "$(date -u '+%Y-%m-%d %H:%M UTC')"
        if [[ -f "$out_dir/env.txt" ]]; then
            echo '```'
            cat "$out_dir/env.txt"
            echo "mpmd $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '(no git revision)') MPM=$MPM"
            echo '```'
            echo
        fi
        # anchors.sh's sections are "## ..."; nest them under "Latest run".
        sed 's/^## /### /' "$out_dir/ratios.md"
        echo
        sed 's/^## /### /' "$out_dir/report.md"
        local reuse
        reuse="$(proxy_reuse "$out_dir")"
        if [[ -n "$reuse" ]]; then printf '\n%s\n' "$reuse"; fi
    } >"$section"
    awk -v mine="## Latest run: $MPM MPM" -v section="$section" '
        function emit(  line) { while ((getline line < section) > 0) print line; done = 1 }
        /^## / {
            skip = (index($0, mine) == 1)
            if (skip && !done) emit()
        }
        !skip { print }
        END { if (!done) { print ""; emit() } }' "$doc" >"$doc.tmp"
    mv "$doc.tmp" "$doc"
    log "wrote $doc"
}

main() {
    local anchors="${ANCHORS:-$ROOT/../shared/bench/anchors.sh}"
    [[ -f "$anchors" ]] || die "benchmark kit not found: $anchors (expected ../shared/bench/ beside the repo, or set ANCHORS)"
    [[ -f "$ROOT/conf/mime.types" ]] || die "missing $ROOT/conf/mime.types"
    export MPM="${MPM:-prefork}"
    case "$MPM" in prefork | worker | event) ;; *) die "MPM must be prefork, worker or event, not $MPM" ;; esac

    log "cargo build --release"
    (cd "$ROOT" && cargo build --release)
    export MPMD_BIN="$ROOT/target/release/mpmd"
    [[ -x "$MPMD_BIN" ]] || die "no binary at $MPMD_BIN"

    export CANDIDATE_NAME=mpmd
    [[ "$MPM" == prefork ]] || CANDIDATE_NAME="mpmd-$MPM"
    # Single quotes: anchors.sh exports PORT, DOCROOT, RUN_DIR for this command.
    export CANDIDATE_CMD="exec bash '$SELF' candidate"
    # Apache with mpmd's MPM is the anchor: worker against worker, event against event.
    export SERVERS="${SERVERS:-$MPM nginx candidate}"
    export CLOSE_SERVERS="${CLOSE_SERVERS:-$MPM nginx candidate}"
    export TESTS="${TESTS:-static1k static100k proxy1k static1k_c200 static1k_close}"
    export ACCESS_LOG="${ACCESS_LOG:-0}"
    export OUT_DIR="${OUT_DIR:-$(mktemp -d -t mpmd-bench.XXXXXX)}"

    log "running $anchors (SERVERS=\"$SERVERS\" TESTS=\"$TESTS\" MPM=$MPM), raw output in $OUT_DIR"
    bash "$anchors" matrix
    [[ -s "$OUT_DIR/report.md" ]] || die "anchors.sh produced no report in $OUT_DIR"
    ratios "$OUT_DIR/results.tsv" | tee "$OUT_DIR/ratios.md"
    proxy_reuse "$OUT_DIR"
    if [[ "${REPORT:-1}" == 0 ]]; then
        log "REPORT=0: docs/BENCHMARKS.md left as it is"
    else
        write_report "$OUT_DIR"
    fi
}

case "${1:-}" in
candidate) start_candidate ;;
"") main ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown argument $1 (no argument runs the benchmark)" ;;
esac
