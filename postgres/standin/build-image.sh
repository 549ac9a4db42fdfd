#!/usr/bin/env bash
# Builds HelloAspire's stand-in PostgreSQL image for machines with no registry, under the project's own name
# (never docker.io/library/postgres): Debian 13's postgresql-17 (debootstrap, then `podman import`) with an
# entrypoint that keeps the official image's contract (docker-entrypoint.sh). Built once: rebuilt only when its
# inputs change, and says what it cost. Prints the image's reference without the tag (what Postgres:Image takes).
# Needs root (debootstrap), debootstrap, Debian's archive keyring and podman (or docker: ASPIRE_CONTAINER_RUNTIME).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runtime=${ASPIRE_CONTAINER_RUNTIME:-podman}
mirror=${HELLOASPIRE_DEBIAN_MIRROR:-https://deb.debian.org/debian}
# Every package debootstrap fetches is checked against Debian's archive keys (the machine's debian-archive-keyring).
keyring=${HELLOASPIRE_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
image=localhost/helloaspire-standin/postgres
base=localhost/helloaspire-standin/debian-postgresql
# The app's pinned tag (ManifestTests keeps this default equal to the app model's), so Postgres:Image needs no tag.
tag=$(sed -n 's/^ARG POSTGRES_TAG=//p' "$here/../Dockerfile")
[ -n "$tag" ] || { echo "error: no 'ARG POSTGRES_TAG=' in $here/../Dockerfile" >&2; exit 1; }

debootstrap_args=(--variant=minbase --include=postgresql-17 --keyring="$keyring" trixie)
base_key=$(printf '%s\n' "${debootstrap_args[@]}" "$mirror" | sha256sum | cut -c1-12)
inputs=$( (echo "$base_key"; cat "$here/Containerfile" "$here/docker-entrypoint.sh") | sha256sum | cut -c1-12)
label=io.helloaspire.standin.inputs

say() { printf '==> %s\n' "$*" >&2; }
exists() { "$runtime" image inspect "$1" >/dev/null 2>&1; }

if [ "$("$runtime" image inspect --format "{{ index .Config.Labels \"$label\" }}" "$image:$tag" 2>/dev/null)" = "$inputs" ]; then
    echo "$image"
    exit 0
fi

started=$SECONDS
if ! exists "$base:$base_key"; then
    [ -r "$keyring" ] || { echo "error: Debian's archive keyring $keyring is missing, so debootstrap cannot check what it downloads. Fix: apt-get install debian-archive-keyring, or set HELLOASPIRE_DEBIAN_KEYRING to a keyring file." >&2; exit 1; }
    [ "$(id -u)" -eq 0 ] || { echo "error: building $image needs root (debootstrap makes its Debian root). Fix: run this (or ./test.sh) as root once, or set HELLOASPIRE_TEST_POSTGRES_IMAGE to a PostgreSQL image your runtime can pull (docker.io/library/postgres)." >&2; exit 1; }
    say "Building Debian 13 with postgresql-17 ($base:$base_key, debootstrap from $mirror, about 40 s)"
    root=$(mktemp -d /var/tmp/helloaspire-standin-XXXXXX)
    trap 'rm -rf "$root"' EXIT
    debootstrap "${debootstrap_args[@]}" "$root" "$mirror" >"$root.log" 2>&1 ||
        { tail -20 "$root.log" >&2; echo "error: debootstrap failed (log above, in full: $root.log). Fix: check that $mirror is reachable, or set HELLOASPIRE_DEBIAN_MIRROR to a Debian mirror." >&2; exit 1; }
    rm -f "$root.log"
    # The package's own cluster (the container makes its data in PGDATA), downloaded packages, docs and translations.
    rm -rf "$root"/var/lib/postgresql/17 "$root"/etc/postgresql/17 "$root"/var/cache/apt/archives/*.deb \
        "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
    tar --numeric-owner -C "$root" -c . | "$runtime" import --quiet - "$base:$base_key" >/dev/null
    rm -rf "$root"
    trap - EXIT
fi

previous=$("$runtime" image inspect --format '{{.Id}}' "$image:$tag" 2>/dev/null || true)
say "Building $image:$tag from $base:$base_key"
"$runtime" build --quiet --build-arg "BASE=$base:$base_key" --label "$label=$inputs" \
    --tag "$image:$tag" --file "$here/Containerfile" "$here" >/dev/null
# Earlier builds would otherwise stay in the image store for good: the replaced image, and bases of other inputs.
[ -z "$previous" ] || "$runtime" rmi "$previous" >/dev/null 2>&1 || true
"$runtime" images --format '{{.Repository}}:{{.Tag}}' "$base" | grep -vx "$base:$base_key" | xargs -r "$runtime" rmi >/dev/null 2>&1 || true
say "Built $image:$tag in $((SECONDS - started)) s"
echo "$image"
