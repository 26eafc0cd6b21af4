#!/usr/bin/env bash
# debian-base.sh ARCH: a minimal Debian bookworm with Python, imported into podman as
# localhost/ecsdeploy-base:bookworm-ARCH, for building the plugin image where no registry with
# the official Python images is reachable. The tarball is cached (keyed by suite and
# architecture) in $ECSDEPLOY_IMAGE_CACHE (default /var/cache/ecsdeploy-image), so only the
# first run on a machine pays for mmdebstrap (about 1 minute for amd64, 3 under qemu for arm64).
set -euo pipefail

arch=${1:?usage: debian-base.sh amd64|arm64}
suite=bookworm
cache=${ECSDEPLOY_IMAGE_CACHE:-/var/cache/ecsdeploy-image}
tarball="$cache/$suite-$arch.tar"
image="localhost/ecsdeploy-base:$suite-$arch"

if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  rm -rf "$tarball.partial"
  echo "+ mmdebstrap $suite for $arch -> $tarball"
  mmdebstrap --quiet --format=tar --variant=minbase --architectures="$arch" \
    --include=python3,python3-venv,ca-certificates \
    "$suite" "$tarball.partial"
  mv "$tarball.partial" "$tarball"
fi

if ! podman image exists "$image"; then
  echo "+ podman import $tarball $image"
  podman import --arch "$arch" "$tarball" "$image" >/dev/null
fi
echo "$image"
