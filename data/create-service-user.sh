#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# meson install: create the service's system user now (packages do it from sysusers.d at
# install time). Nothing to do when installing into a DESTDIR (packaging) or when it exists.
set -e
user="$1"
conf="${2:-}"
[ -z "${DESTDIR:-}" ] || exit 0
getent passwd "$user" >/dev/null 2>&1 && exit 0
if [ -n "$conf" ] && [ -r "$conf" ] && command -v systemd-sysusers >/dev/null 2>&1; then
  systemd-sysusers "$conf"
else
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --user-group --comment "NetworkManager-uipsec service" "$user"
fi
echo "created system user $user"
