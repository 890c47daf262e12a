#!/bin/sh
# Checks that the page is in place and, where a web server runs, that it
# is served.
set -e
grep -q DeployDesk /var/www/html/index.html
for server in httpd nginx; do
  if systemctl is-active --quiet "$server" 2>/dev/null; then
    curl --fail --silent http://localhost/ | grep -q DeployDesk
    echo "The page is served by $server."
    exit 0
  fi
done
echo "The page is in place."
