#!/usr/bin/env bash
# test.sh - the one command that checks and tests everything (README and CI run exactly this):
# formatting, clippy with warnings as errors, the build, then every unit and integration test.
# On a fresh machine it first installs what is missing with apt-get (a C linker, procps, Debian's
# apache2 for the differential test against Apache httpd 2.4), and
# rustfmt/clippy through rustup when Rust came without them.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

apt_install() {   # apt_install PKG... (only called for missing tools)
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "missing $*; install them or run as root"
        sudo=(sudo)
    fi
    step "installing $*"
    "${sudo[@]}" apt-get update
    # `env` so the variable survives sudo's environment reset.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

missing=()
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v ps >/dev/null || missing+=(procps)
# Apache httpd 2.4 for the differential test (tests/differential.rs); /usr/sbin is often not on
# a non-root PATH.
command -v apache2 >/dev/null || [[ -x /usr/sbin/apache2 ]] || missing+=(apache2)
((${#missing[@]} == 0)) || apt_install "${missing[@]}"

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
cargo test 2>&1 | tee "$log"

# One closing line with the totals of every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i } }
     END { printf "\n%d passed, %d failed\n", p, f }' "$log"
