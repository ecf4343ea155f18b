#!/usr/bin/env bash
# Runs the whole test suite on a host clock and time zone far from the ones the tests were written on, to prove
# that no test depends on today's date or on the host's zone. Uses Debian's libfaketime (package faketime) with a
# relative offset (+N days / -N days), which every child process (the daemon, the simulator, the CLI) inherits, so
# all of them agree on the shifted clock.
#   scripts/test-any-clock.sh                   # TZ=America/New_York, clock 1,700 days ahead (2031)
#   scripts/test-any-clock.sh -3000d Asia/Kolkata   # clock 3,000 days back (2018), India
set -euo pipefail
cd "$(dirname "$0")/.."
offset=${1:-+1700d}
zone=${2:-America/New_York}
lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$lib" ] || { echo "libfaketime is not installed (apt-get install faketime)" >&2; exit 2; }
npm run -s build
# LD_PRELOAD rather than the faketime wrapper (its per-pid semaphore can clash with a stale one)
export TZ=$zone LD_PRELOAD=$lib FAKETIME=$offset FAKETIME_DONT_FAKE_MONOTONIC=1
echo "clock offset ${offset}, TZ=${zone}: $(date)"
npx tap "${@:3}"
