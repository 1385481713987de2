#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# with-xvfb.sh PROGRAM [ARGS...]: run a GTK test on an X server of its own (Xvfb picks a free
# display itself: -displayfd), with GTK's environment pinned (X11, cairo rendering, no
# accessibility bus, a private runtime folder).  Exit 77 (skipped) without Xvfb, unless
# UIP_NETNS_REQUIRED=1 (the CI installs everything: then a missing Xvfb is a failure).
set -u

if ! command -v Xvfb >/dev/null 2>&1; then
  if [ "${UIP_NETNS_REQUIRED:-0}" = 1 ]; then
    echo "Xvfb is missing (install xvfb)" >&2
    exit 1
  fi
  echo "Xvfb is missing: skipped" >&2
  exit 77
fi

dir=$(mktemp -d)
xvfb_pid=
cleanup() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null
    wait "$xvfb_pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

Xvfb -displayfd 3 -nolisten tcp -noreset -screen 0 1280x1024x24 \
  3>"$dir/display" >"$dir/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 200); do
  grep -q '[0-9]' "$dir/display" 2>/dev/null && break
  if ! kill -0 "$xvfb_pid" 2>/dev/null; then
    echo "Xvfb did not start:" >&2
    cat "$dir/xvfb.log" >&2
    exit 1
  fi
  sleep 0.05
done
if ! grep -q '[0-9]' "$dir/display"; then
  echo "Xvfb gave no display number in 10 s" >&2
  exit 1
fi

mkdir -m 0700 "$dir/runtime"
export DISPLAY=":$(tr -dc 0-9 <"$dir/display")"
export XDG_RUNTIME_DIR="$dir/runtime"
export GDK_BACKEND=x11 GSK_RENDERER=cairo NO_AT_BRIDGE=1 GTK_A11Y=none GSETTINGS_BACKEND=memory
unset WAYLAND_DISPLAY
"$@"
exit $?
