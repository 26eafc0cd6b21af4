#!/usr/bin/env bash
# Prepares a Debian machine (as root) to build and run the plugin image for amd64 and arm64 with
# podman and qemu, without Docker or a registry. Idempotent: each step is skipped when done.
# Used by `nox -s image`; the README's "Building the image" section runs it by hand.
set -euo pipefail

# arch-test comes with mmdebstrap as a recommendation; it is named because arm64 needs it.
packages=(podman runc mmdebstrap qemu-user-static binfmt-support arch-test)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "+ apt-get install ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# podman's default ulimits cannot be set in this kind of container: ask for none.
conf=/etc/containers/containers.conf
if ! grep -qs '^default_ulimits = \[\]' "$conf"; then
  echo "+ $conf: default_ulimits = []"
  mkdir -p "$(dirname "$conf")"
  if grep -qs '^\[containers\]' "$conf"; then
    sed -i '/^\[containers\]/a default_ulimits = []' "$conf"
  else
    printf '[containers]\ndefault_ulimits = []\n' >>"$conf"
  fi
fi

# arm64 binaries run through qemu-user, registered with the kernel's binfmt_misc.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  echo "+ mount binfmt_misc"
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  echo "+ update-binfmts --enable qemu-aarch64"
  update-binfmts --enable qemu-aarch64
fi
