#!/usr/bin/env bash
# Installs whatever the tests need on a fresh machine, then runs every test.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets
cargo test --locked --doc
