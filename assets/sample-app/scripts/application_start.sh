#!/bin/sh
# Restarts the web server that serves /var/www/html, where the instance
# runs one under systemd (Apache httpd or nginx). Where none runs, as on a
# local instance, the page is in place and ValidateService checks the file.
set -e
for server in httpd nginx; do
  if systemctl is-enabled --quiet "$server" 2>/dev/null; then
    systemctl restart "$server"
    echo "Restarted $server."
    exit 0
  fi
done
echo "No web server runs here; the page is in /var/www/html."
