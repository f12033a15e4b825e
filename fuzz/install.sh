#!/usr/bin/env bash
# Installs cargo-fuzz on the machine's nightly toolchain (libFuzzer needs
# nightly's `-Zsanitizer` flags), and a nightly if there is none.
# Usage: fuzz/install.sh
set -euo pipefail

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! command -v c++ >/dev/null 2>&1; then
  # libfuzzer-sys builds libFuzzer from its C++ sources.
  apt-get update -qq && apt-get install -y -qq g++ >/dev/null
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo +nightly install cargo-fuzz --locked
fi
cargo +nightly fuzz --version
