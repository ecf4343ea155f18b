#!/bin/sh
# Installs koplus's dialplan into a FreeSWITCH configuration directory, idempotently (running it again changes
# nothing). See docs/install-freeswitch.md, step 3.
#
#   scripts/install-dialplan.sh [--conf DIR] [--source DIR]
#
#   --conf DIR    FreeSWITCH's conf directory (default: /etc/freeswitch, else /usr/local/freeswitch/conf)
#   --source DIR  koplus's conf/freeswitch directory (default: the one beside this script)
#
# What it does:
#   1. copies dialplan/koplus.xml (the context "koplus") to DIR/dialplan/koplus.xml; an existing, edited copy is
#      kept and the new one written beside it as koplus.xml.new;
#   2. inserts the koplus jump (dialplan/koplus-jump.xml) as the first extension of <context name="default"> in
#      DIR/dialplan/default.xml and of <context name="public"> in DIR/dialplan/public.xml, between
#      "koplus:begin" / "koplus:end" markers, once (the original is kept as <file>.koplus-orig);
#   3. disables the old layout's DIR/dialplan/default/00_koplus.xml (renamed to 00_koplus.xml.disabled), which
#      the stock extensions before it shadowed.
# Then run: fs_cli -x reloadxml && koplus doctor
set -eu

here=$(cd "$(dirname "$0")" && pwd)
conf=""
src="$here/../conf/freeswitch"
while [ $# -gt 0 ]; do
  case "$1" in
    --conf) conf=$2; shift 2 ;;
    --source) src=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "install-dialplan: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$conf" ]; then
  if [ -d /etc/freeswitch ]; then conf=/etc/freeswitch; else conf=/usr/local/freeswitch/conf; fi
fi
dp="$conf/dialplan"
for f in "$dp/default.xml" "$dp/public.xml" "$src/dialplan/koplus.xml" "$src/dialplan/koplus-jump.xml"; do
  [ -f "$f" ] || { echo "install-dialplan: $f not found (FreeSWITCH conf: --conf DIR; koplus conf: --source DIR)" >&2; exit 1; }
done

# 1. the koplus context
if [ ! -f "$dp/koplus.xml" ]; then
  cp "$src/dialplan/koplus.xml" "$dp/koplus.xml"
  echo "installed $dp/koplus.xml (edit its queue-number expression to your numbering plan)"
elif cmp -s "$src/dialplan/koplus.xml" "$dp/koplus.xml"; then
  echo "unchanged $dp/koplus.xml"
else
  cp "$src/dialplan/koplus.xml" "$dp/koplus.xml.new"
  echo "kept your edited $dp/koplus.xml; koplus's current version is in $dp/koplus.xml.new"
fi

# 2. the jump, first inside <context name="default"> and <context name="public">
for ctx in default public; do
  file="$dp/$ctx.xml"
  if grep -q "koplus:begin $ctx" "$file"; then
    echo "unchanged $file (the koplus jump is already there)"
    continue
  fi
  if ! grep -q "<context name=\"$ctx\">" "$file"; then
    echo "install-dialplan: $file has no <context name=\"$ctx\"> line; add the jump of koplus-jump.xml by hand" >&2
    exit 1
  fi
  block=$(sed -n "/koplus:begin $ctx/,/koplus:end $ctx/p" "$src/dialplan/koplus-jump.xml" | sed 's/^/  /')
  [ -f "$file.koplus-orig" ] || cp -p "$file" "$file.koplus-orig"
  tmp="$file.koplus-tmp.$$"
  KOPLUS_BLOCK="$block" awk -v ctx="<context name=\"$ctx\">" '
    { print }
    !done && index($0, ctx) { print ENVIRON["KOPLUS_BLOCK"]; done = 1 }
  ' "$file" > "$tmp"
  cat "$tmp" > "$file"
  rm -f "$tmp"
  echo "added the koplus jump at the top of <context name=\"$ctx\"> in $file (original: $file.koplus-orig)"
done

# 3. the old layout
if [ -f "$dp/default/00_koplus.xml" ]; then
  mv "$dp/default/00_koplus.xml" "$dp/default/00_koplus.xml.disabled"
  echo "disabled the old $dp/default/00_koplus.xml (now 00_koplus.xml.disabled): the context koplus replaces it"
fi

echo "done; now: fs_cli -x reloadxml && koplus doctor"
