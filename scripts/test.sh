#!/usr/bin/env bash
# Installs whatever the tests need on a fresh machine, then runs every test.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The AWS CLI drives the local cloud in the compatibility tests.
if ! command -v aws >/dev/null 2>&1; then
  echo "Installing the AWS CLI (PyPI awscli) for the compatibility tests..."
  python3 -m pip install --quiet --disable-pip-version-check awscli
fi
# moto's server is the independent implementation the cross-check suite
# (tests/crosscheck) runs every EC2, Auto Scaling, ELB, CloudWatch, SNS, IAM,
# Systems Manager and S3 test against as well.
if ! python3 -c 'import moto.server, flask, werkzeug' >/dev/null 2>&1; then
  echo "Installing moto's server (PyPI moto[server]) for the cross-check tests..."
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]'
fi
# The local runner runs hooks only inside a bubblewrap sandbox.
if ! command -v bwrap >/dev/null 2>&1; then
  echo "Installing bubblewrap for the local runner's sandbox..."
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq bubblewrap
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap
  fi
fi
# pip puts console scripts next to the interpreter; make sure they are found.
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH
command -v aws >/dev/null 2>&1 || { echo "The AWS CLI could not be installed; see above." >&2; exit 1; }
# Tests that need the AWS CLI fail instead of skipping when it is missing.
export DEPLOYDESK_REQUIRE_AWSCLI=1
export DEPLOYDESK_REQUIRE_MOTO=1

cargo test --locked --all-targets
cargo test --locked --doc
