#!/bin/sh
# Installs koplus for production (docs/install-freeswitch.md, step 5), from a built checkout (npm ci && npm run build):
#
#   /usr/lib/koplus/         the package: bin/, dist/, schema.sql, sounds/, web/static, conf/, docs/, README.md,
#                            and its runtime dependencies (npm ci --omit=dev)
#   /usr/bin/koplus          -> ../lib/koplus/bin/koplus.js (the CLI and the daemon)
#   /etc/koplus/koplus.json  from conf/koplus.production.json (kept if it exists), 0640 root:koplus
#   /var/lib/koplus/         the data directory (SQLite, cli-token, recordings), 0750 koplus:koplus
#   /etc/systemd/system/koplus.service
#   user and group koplus    (system accounts; add operators to the group so the CLI can read the token)
#
#   scripts/install.sh [--destdir DIR] [--user NAME] [--group NAME] [--no-accounts] [--link-node-modules DIR]
#
#   --destdir DIR             install under DIR (packaging, tests); accounts are not created then
#   --user/--group NAME       the accounts the daemon runs as (default koplus/koplus)
#   --no-accounts             do not create the user and group (they exist, or a package manager makes them)
#   --link-node-modules DIR   use DIR as node_modules instead of running npm ci --omit=dev (offline, tests)
# Running it again updates the package and keeps /etc/koplus/koplus.json.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
destdir=""
user=koplus
group=koplus
accounts=yes
link_modules=""
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) destdir=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --group) group=$2; shift 2 ;;
    --no-accounts) accounts=no; shift ;;
    --link-node-modules) link_modules=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "install: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ -f "$src/dist/src/cli/main.js" ] || { echo "install: $src is not built: run 'npm ci && npm run build' there first" >&2; exit 1; }
[ -n "$destdir" ] && accounts=no
root_user=$(id -u)

# owner/group of installed files: only root can give them away
own() { # own MODE OWNER GROUP PATH...
  mode=$1 owner=$2 grp=$3; shift 3
  chmod "$mode" "$@"
  if [ "$root_user" = 0 ]; then chown "$owner:$grp" "$@"; else chgrp "$grp" "$@" 2>/dev/null || true; fi
}

# 1. accounts
if [ "$accounts" = yes ]; then
  getent group "$group" >/dev/null || groupadd --system "$group"
  getent passwd "$user" >/dev/null || useradd --system --gid "$group" --home-dir /var/lib/koplus --shell /usr/sbin/nologin "$user"
fi

# 2. the package
lib="$destdir/usr/lib/koplus"
mkdir -p "$lib" "$lib/web"
for f in package.json package-lock.json README.md schema.sql; do cp "$src/$f" "$lib/$f"; done
rm -rf "$lib/bin" "$lib/dist" "$lib/sounds" "$lib/conf" "$lib/docs" "$lib/web/static"
cp -R "$src/bin" "$src/dist" "$src/sounds" "$src/conf" "$src/docs" "$lib/"
cp -R "$src/web/static" "$lib/web/static"
chmod -R go-w "$lib"
if [ -n "$link_modules" ]; then
  rm -rf "$lib/node_modules"
  ln -s "$(cd "$link_modules" && pwd)" "$lib/node_modules"
else
  (cd "$lib" && npm ci --omit=dev --no-audit --no-fund)
fi

# 3. the command
mkdir -p "$destdir/usr/bin"
ln -sfn ../lib/koplus/bin/koplus.js "$destdir/usr/bin/koplus"
chmod 755 "$lib/bin/koplus.js"

# 4. config, data, unit
mkdir -p "$destdir/etc/koplus" "$destdir/var/lib/koplus" "$destdir/etc/systemd/system"
own 750 root "$group" "$destdir/etc/koplus"
if [ -f "$destdir/etc/koplus/koplus.json" ]; then
  echo "kept $destdir/etc/koplus/koplus.json"
else
  cp "$src/conf/koplus.production.json" "$destdir/etc/koplus/koplus.json"
  echo "installed $destdir/etc/koplus/koplus.json: set freeswitch.password (event_socket.conf.xml's password)"
fi
own 640 root "$group" "$destdir/etc/koplus/koplus.json"
own 750 "$user" "$group" "$destdir/var/lib/koplus"
cp "$src/conf/systemd/koplus.service" "$destdir/etc/systemd/system/koplus.service"
chmod 644 "$destdir/etc/systemd/system/koplus.service"

echo "installed koplus in ${destdir:-/}: now"
echo "  systemctl daemon-reload && systemctl enable --now koplus"
echo "  usermod -aG $group <operator>   # then log in again: the CLI reads /var/lib/koplus/cli-token"
echo "  koplus doctor"
