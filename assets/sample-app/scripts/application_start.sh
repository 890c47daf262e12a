#!/bin/sh
# Starts the web server.
set -e
systemctl restart httpd 2>/dev/null || systemctl restart nginx
