#!/bin/sh
# Makes room for the new revision.
set -e
mkdir -p /var/www/html
