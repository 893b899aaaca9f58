#!/usr/bin/env bash
# Builds the Docker base image for safewire from Debian packages, without pulling anything from a registry:
#   scripts/docker-base-image.sh [NAME]      (default NAME: safewire-base:bookworm; needs root, debootstrap, docker)
# The image holds a minimal Debian 12 with what the native safewire needs at run time (glibc, OpenSSL, CA
# certificates). The debootstrap tree is kept as a tarball in $SAFEWIRE_DOCKER_CACHE (default
# /var/cache/safewire-docker), so later runs only re-import it. Use the image with
#   docker build --build-arg BASE_IMAGE=safewire-base:bookworm -t safewire .
# or docker-compose (docker-compose.yml reads SAFEWIRE_BASE_IMAGE).
set -euo pipefail
name=${1:-safewire-base:bookworm}
cache=${SAFEWIRE_DOCKER_CACHE:-/var/cache/safewire-docker}
tarball=$cache/bookworm-minbase.tar
docker=${SAFEWIRE_DOCKER:-docker}
mirror=${SAFEWIRE_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if "$docker" image inspect "$name" >/dev/null 2>&1; then
  echo "docker-base-image: $name already exists"
  exit 0
fi
if [[ ! -s $tarball ]]; then
  command -v debootstrap >/dev/null 2>&1 || { echo "docker-base-image: debootstrap is missing (Debian: apt-get install debootstrap)" >&2; exit 1; }
  mkdir -p "$cache"
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$root" "$tarball.tmp"' EXIT
  echo "docker-base-image: debootstrap bookworm (minbase) into $root"
  debootstrap --variant=minbase --include=libssl3,ca-certificates bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; echo "docker-base-image: debootstrap failed (log: $cache/debootstrap.log)" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . >"$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
fi
"$docker" import - "$name" <"$tarball" >/dev/null
echo "docker-base-image: imported $name from $tarball"
