#!/usr/bin/env bash
# mmdebstrap --customize-hook for the odoo-local base image. Runs on the host
# after apt has installed packages.txt; $1 is the root filesystem being built.
# Part of the base image's input hash: editing it rebuilds the base.
#
# Environment (set by build-odoo-image.sh):
#   ODOO_IMAGE_NPM   npm executable on the host, used to fetch rtlcss
set -euo pipefail

rootfs=${1:?usage: base-customize.sh ROOTFS}
npm=${ODOO_IMAGE_NPM:?ODOO_IMAGE_NPM must name the host npm}
rtlcss_version=4.3.0

# en_US.UTF-8 is what the official image runs with; C.UTF-8 (our LANG) is built
# into glibc. Generating one locale keeps `LANG=en_US.UTF-8` usable.
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$rootfs/etc/locale.gen"
chroot "$rootfs" locale-gen >/dev/null

# Odoo calls `rtlcss` for right-to-left asset bundles. Debian's npm would add
# hundreds of packages, so the host's npm installs the pure-JS tool and
# Debian's nodejs runs it.
"$npm" install --prefix "$rootfs/opt/rtlcss" --no-audit --no-fund \
    --no-update-notifier --loglevel=error "rtlcss@$rtlcss_version" >/dev/null
rm -f "$rootfs/opt/rtlcss/package.json" "$rootfs/opt/rtlcss/package-lock.json" \
    "$rootfs/opt/rtlcss/node_modules/.package-lock.json"
ln -sf /opt/rtlcss/node_modules/rtlcss/bin/rtlcss.js "$rootfs/usr/local/bin/rtlcss"
chroot "$rootfs" rtlcss --version >/dev/null

# dpkg-nodoc.cfg is only in force after the essential set was installed:
# drop the same paths from those packages.
find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs/usr/share/man" "$rootfs/usr/share/info" \
    "$rootfs/usr/share/lintian" "$rootfs/usr/share/linda"
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias \
    -exec rm -rf {} +

# Docker bind-mounts these at run time; don't ship the build host's copies.
rm -f "$rootfs/etc/resolv.conf"
printf 'localhost\n' >"$rootfs/etc/hostname"
chmod 0644 "$rootfs/etc/hostname"
