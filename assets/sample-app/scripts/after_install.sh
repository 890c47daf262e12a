#!/bin/sh
# Sets the permissions of the copied files.
set -e
chmod 644 /var/www/html/index.html
