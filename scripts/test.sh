#!/usr/bin/env bash
# Installs whatever the tests need on a fresh machine, then runs every test.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The AWS CLI drives the local cloud in tests/localcloud_awscli.rs; those
# tests are skipped without it.
if ! command -v aws >/dev/null 2>&1; then
    python3 -m pip install --quiet awscli || echo "Could not install the AWS CLI; its tests will be skipped."
fi

cargo test --locked --all-targets
cargo test --locked --doc
