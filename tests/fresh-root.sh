#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fresh-root.sh: run a command in a brand-new Debian 12 root, as a new user on a new machine would.
#
#   bash tests/fresh-root.sh [COMMAND]       (as root, from a git checkout; default: the README's
#                                             test command, bash tests/run-tests.sh)
#
# .ci/run uses it, so that CI proves the README's commands on a machine that holds nothing but a
# minimal Debian 12: a package that tests/install-deps.sh forgets makes CI fail, even when the
# machine CI runs on has it from earlier work.
#
# How:
#   1. a minimal Debian 12 root (mmdebstrap --variant=apt: only the Essential packages and apt, with
#      the sources a Debian 12 install has: bookworm, bookworm-updates, bookworm-security). It
#      holds nothing of ours, so it is made once and kept as a tarball in $FRESH_ROOT_CACHE
#      (default /var/cache/uipsec-fresh-root); FRESH_ROOT_REFRESH=1 makes it again;
#   2. a throw-away copy of it in $FRESH_ROOT_DIR (default: a new folder under /var/tmp), with a
#      clean clone of the committed HEAD at /project (and ../shared beside it when there is one);
#   3. COMMAND runs in /project with that tree as the real root of a private mount namespace
#      (pivot_root, not chroot: nsenter/setns into the tests' own namespaces then still sees the
#      new root), its own /proc, /run and /tmp, the host's /dev and /sys, and a clean environment.
#      Everything COMMAND needs it must install itself (the README's commands do, through
#      tests/install-deps.sh).
# The copy is removed at the end unless FRESH_ROOT_KEEP=1. Exit status: that of COMMAND.
# Passed through to COMMAND when set: CI, FUZZ_SECONDS, UIP_* variables.
# Needs: mmdebstrap (installed here on first use), util-linux unshare, about 4 GB of disk.
set -euo pipefail
cmd=${1:-bash tests/run-tests.sh}
repo=$(git rev-parse --show-toplevel)
cache=${FRESH_ROOT_CACHE:-/var/cache/uipsec-fresh-root}
tarball=$cache/bookworm-apt.tar
mirror=${FRESH_ROOT_MIRROR:-http://deb.debian.org/debian}
security=${FRESH_ROOT_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

[ "$(id -u)" = 0 ] || { echo "fresh-root: must run as root" >&2; exit 1; }
if ! command -v mmdebstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

if [ ! -s "$tarball" ] || [ "${FRESH_ROOT_REFRESH:-0}" = 1 ]; then
    mkdir -p "$cache"
    echo "fresh-root: making a bare Debian 12 root (once; cached in $tarball)"
    # the name must end in .tar: mmdebstrap picks the output format by it
    rm -rf "$cache/new.tar"
    mmdebstrap --quiet --variant=apt bookworm "$cache/new.tar" \
        "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
        "deb $security bookworm-security main"
    mv "$cache/new.tar" "$tarball"
fi

dir=${FRESH_ROOT_DIR:-$(mktemp -d /var/tmp/uipsec-fresh-root.XXXXXX)}
mkdir -p "$dir"
root=$dir/root
cleanup() {
    [ "${FRESH_ROOT_KEEP:-0}" = 1 ] && { echo "fresh-root: kept $root"; return; }
    # mounts live only in the private namespace, which is gone by now
    rm -rf --one-file-system "$dir"
}
trap cleanup EXIT
rm -rf --one-file-system "$root"
mkdir -p "$root"
tar -xf "$tarball" -C "$root"
git clone -q --no-hardlinks "$repo" "$root/project"
[ -d "$repo/../shared" ] && cp -a "$repo/../shared" "$root/shared"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# Packages must not start their services while they install (NetworkManager, dbus, charon):
# this root shares the machine's network namespace. The tests start what they need in their
# own namespaces. (The usual policy-rc.d of a build root or container.)
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

env_pass=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb
    LANG=C.UTF-8)
while IFS='=' read -r name _; do
    case $name in CI | FUZZ_SECONDS | UIP_*) env_pass+=("$name=${!name}") ;; esac
done < <(env)

echo "fresh-root: running '$cmd' in a new Debian 12 root ($(git -C "$repo" rev-parse --short HEAD))"
start=$(date +%s)
rc=0
unshare --mount --propagation private --fork bash -c '
    set -e
    r=$1; shift
    mount --bind "$r" "$r"
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs -o mode=0755 tmpfs "$r/run"
    mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
    mkdir -p "$r/.oldroot"
    cd "$r"
    pivot_root . .oldroot
    /.oldroot/usr/bin/umount -l /.oldroot
    rmdir /.oldroot
    cmd=$1; shift
    exec /usr/bin/env -i "$@" bash -c "cd /project && $cmd"
' fresh-root "$root" "$cmd" "${env_pass[@]}" || rc=$?
echo "fresh-root: '$cmd' exited $rc after $(($(date +%s) - start)) s"
exit $rc
