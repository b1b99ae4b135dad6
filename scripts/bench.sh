#!/usr/bin/env bash
# bench.sh - measure mpmd beside Apache httpd and nginx with ../shared/bench/anchors.sh and write
# the tables into docs/BENCHMARKS.md (the "Latest run" section; the text above it is kept).
#
# Usage: bash scripts/bench.sh
#
# Knobs (environment), passed on to anchors.sh (see its header for the rest: ROUNDS, DURATION,
# WARMUP, THREADS, OUT_DIR, NO_INSTALL, ...):
#   SERVERS     default "prefork nginx candidate"; add "worker event" for Apache's threaded MPMs
#   TESTS       default "static1k static100k proxy1k static1k_c200 static1k_close"; proxy1k
#               goes through a [[proxy]] rule to anchors.sh's backend; mpmd's backend
#               connection reuse (connections opened per 1000 proxied requests, from its ?json
#               proxy_workers counters, sampled once a second) is added to the report
#   ACCESS_LOG  1 = every server writes an access log (default 0: none does)
#   MPM         mpmd's MPM: prefork (default), worker or event
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

# Runs inside anchors.sh's `setsid bash -c "$CANDIDATE_CMD"`, with PORT, DOCROOT, RUN_DIR and
# BACKEND_URL set.
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

# Replaces the "## Latest run: MPM MPM ..." section of docs/BENCHMARKS.md (from that heading to
# the next "## " heading or the end), keeping every other section, so the prefork, worker and
# event runs stand side by side; writes a methodology section first if the file is new.
write_report() {
    local out_dir="$1" doc="$ROOT/docs/BENCHMARKS.md" section
    mkdir -p "$ROOT/docs"
    if [[ ! -f "$doc" ]]; then
        cat >"$doc" <<'EOF'
# Benchmarks

## Methodology

`bash scripts/bench.sh` runs `../shared/bench/anchors.sh` with mpmd as the candidate server. Each
server is started by hand on 127.0.0.1, measured alone with `wrk --latency` (2 threads, 10 s per
test after a 2 s warm-up, 2 rounds in alternating order), then stopped. See the knobs in
scripts/bench.sh.
EOF
    fi
    section="$out_dir/section.md"
    {
        printf '## Latest run: %s MPM (`SERVERS="%s" TESTS="%s"`) (%s)\n\n' \
            "$MPM" "$SERVERS" "$TESTS" "$(date -u '+%Y-%m-%d %H:%M UTC')"
        if [[ -f "$out_dir/env.txt" ]]; then
            echo '```'
            cat "$out_dir/env.txt"
            echo "mpmd $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '(no git revision)') MPM=$MPM"
            echo '```'
            echo
        fi
        # anchors.sh's sections are "## ..."; nest them under "Latest run".
        sed 's/^## /### /' "$out_dir/report.md"
        local reuse
        reuse="$(proxy_reuse "$out_dir")"
        if [[ -n "$reuse" ]]; then printf '\n%s\n' "$reuse"; fi
    } >"$section"
    # Drop the old section of this MPM, append the new one.
    awk -v mpm="$MPM" '
        /^## / { skip = (index($0, "## Latest run: " mpm " MPM") == 1) }
        !skip { print }
    ' "$doc" >"$doc.tmp"
    { cat "$doc.tmp"; echo; cat "$section"; } | cat -s >"$doc"
    rm -f "$doc.tmp"
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
    export SERVERS="${SERVERS:-prefork nginx candidate}"
    export TESTS="${TESTS:-static1k static100k proxy1k static1k_c200 static1k_close}"
    export ACCESS_LOG="${ACCESS_LOG:-0}"
    export OUT_DIR="${OUT_DIR:-$(mktemp -d -t mpmd-bench.XXXXXX)}"

    log "running $anchors (SERVERS=\"$SERVERS\" TESTS=\"$TESTS\" MPM=$MPM), raw output in $OUT_DIR"
    bash "$anchors" matrix
    [[ -s "$OUT_DIR/report.md" ]] || die "anchors.sh produced no report in $OUT_DIR"
    write_report "$OUT_DIR"
}

case "${1:-}" in
candidate) start_candidate ;;
"") main ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown argument $1 (no argument runs the benchmark)" ;;
esac
