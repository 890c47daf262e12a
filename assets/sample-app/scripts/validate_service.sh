#!/bin/sh
# Checks that the page is served.
set -e
curl --fail --silent http://localhost/ | grep -q DeployDesk
