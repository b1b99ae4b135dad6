#!/usr/bin/env bash
# test.sh - the one command that checks and tests everything (README and CI run exactly this):
# formatting, clippy with warnings as errors, the build, then every unit and integration test.
# On a fresh machine it first installs what is missing with apt-get (a C linker, procps, Debian's
# apache2 for the differential test against Apache httpd 2.4, the status page's outside
# checkers), and rustfmt/clippy through rustup when Rust came without them.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

sudo=()
if ((EUID != 0)); then sudo=(sudo); fi
apt_updated=0

apt_install() {   # apt_install PKG... (only called for missing tools)
    ((EUID == 0)) || command -v sudo >/dev/null || die "missing $*; install them or run as root"
    step "installing $*"
    if ((apt_updated == 0)); then "${sudo[@]}" apt-get update; apt_updated=1; fi
    # `env` so the variable survives sudo's environment reset.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# Is PKG installable from the configured apt sources? (Refreshes the lists once.)
apt_has() {
    if ((apt_updated == 0)) && { ((EUID == 0)) || command -v sudo >/dev/null; }; then
        "${sudo[@]}" apt-get update >/dev/null 2>&1 || true
        apt_updated=1
    fi
    [[ "$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')" =~ ^[0-9] ]]
}

missing=()
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v ps >/dev/null || missing+=(procps)
# Apache httpd 2.4 for the differential test (tests/differential.rs); /usr/sbin is often not on
# a non-root PATH.
command -v apache2 >/dev/null || [[ -x /usr/sbin/apache2 ]] || missing+=(apache2)
# The status page is judged by outside tools (tests/cases/status_tools.rs): Debian's
# prometheus-apache-exporter must scrape it (required: its test fails without it), promtool
# (package prometheus) must accept ?metrics, headless Chromium must render the HTML page. When
# apt has no prometheus or chromium package, their tests are skipped (MPMD_NO_PROMTOOL,
# MPMD_NO_CHROMIUM) and the unit tests' own checkers of the exposition format and of the HTML
# (src/status/checks.rs) are what remains.
command -v prometheus-apache-exporter >/dev/null || missing+=(prometheus-apache-exporter)
if ! command -v chromium >/dev/null; then
    if apt_has chromium; then missing+=(chromium); else export MPMD_NO_CHROMIUM=1; fi
fi
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
if ! command -v promtool >/dev/null; then
    if apt_has prometheus; then
        # Only promtool is wanted: keep the package's Prometheus server from being started
        # (policy-rc.d is Debian's switch for that; an existing one is left alone).
        created_policy=0
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
            printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
            "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
            created_policy=1
        fi
        apt_install prometheus
        ((created_policy == 0)) || "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
    else
        export MPMD_NO_PROMTOOL=1
    fi
fi

[[ -x "$HOME/.cargo/bin/cargo" ]] && export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) first"
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || die "cargo fmt / cargo clippy missing and no rustup to add them"
    step "rustup component add rustfmt clippy"
    rustup component add rustfmt clippy
fi

step "cargo fmt --all -- --check"
cargo fmt --all -- --check
step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
step "cargo build"
cargo build
step "cargo test"
log="$(mktemp -t mpmd-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
cargo test --no-fail-fast 2>&1 | tee "$log"

# One closing line with the totals of every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i } }
     END { printf "\n%d passed, %d failed\n", p, f }' "$log"
