#!/usr/bin/env bash
# test.sh - the one command that checks and tests everything (README and CI run exactly this):
# formatting, clippy with warnings as errors, the build, then every unit and integration test.
# On a fresh machine it first installs what is missing: a C toolchain (linker) with apt-get, and
# Rust with rustfmt and clippy through rustup.
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
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$@"
}

missing=()
command -v cc >/dev/null || missing+=(gcc libc6-dev)
if ! command -v cargo >/dev/null && [[ ! -x "$HOME/.cargo/bin/cargo" ]]; then
    command -v curl >/dev/null || missing+=(curl ca-certificates)
fi
((${#missing[@]} == 0)) || apt_install "${missing[@]}"

if ! command -v cargo >/dev/null; then
    if [[ ! -x "$HOME/.cargo/bin/cargo" ]]; then
        step "installing Rust (rustup, stable)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
            sh -s -- -y --profile minimal --component rustfmt,clippy
    fi
    export PATH="$HOME/.cargo/bin:$PATH"
fi
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
cargo test

printf '\n==> test.sh: all checks and tests passed\n' >&2
