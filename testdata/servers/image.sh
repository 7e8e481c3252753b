#!/usr/bin/env bash
# Builds a docker image FROM scratch out of a server fetch.sh has fetched, for the docker engine:
#
#   testdata/servers/image.sh NAME [TAG]     (NAME such as valkey-8.1.1; default tag redisgrade/valkey:8.1.1-local)
#
# The image holds the server's binary as /usr/bin/redis-server (and valkey-server for Valkey: the docker engine
# runs redis-server, as the official images allow), the libraries the folder's own loader lists for it, and a
# nobody user; it is built with testdata/redis-image/Dockerfile. Needs a running Docker engine. An image built
# from the same folder is kept (a second run builds nothing).
# Prints the tag on its last line.
set -euo pipefail

name=${1:?usage: image.sh NAME [TAG], such as image.sh valkey-8.1.1}
tag=${2:-redisgrade/${name%%-*}:${name#*-}-local}
here=$(cd "$(dirname "$0")" && pwd)
cache=${REDISGRADE_SERVERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redisgrade/servers}
dir=$cache/$name
root=$dir/root
if [[ ! -f $dir/pin || ! -f $dir/binary ]]; then
  echo "image.sh: $name is not in $cache: run testdata/servers/fetch.sh first" >&2
  exit 1
fi
binary=$(cat "$dir/binary")
if [[ ! -x $root/$binary ]]; then
  echo "image.sh: $dir has no $binary: fetch it again (remove the folder, run fetch.sh)" >&2
  exit 1
fi
# An image already built from this very folder is kept: a second run builds nothing.
made_from="$name $(cat "$dir/pin") $(sha256sum "$dir/packages.sha256" | cut -c1-16)"
if [[ $(docker image inspect --format '{{index .Config.Labels "org.redisgrade.servers.from"}}' "$tag" 2>/dev/null) == "$made_from" ]]; then
  echo "$tag"
  exit 0
fi
loader=$root/usr/lib64/ld-linux-x86-64.so.2
libs=$root/usr/lib/x86_64-linux-gnu

ctx=$(mktemp -d "${TMPDIR:-/tmp}/redisgrade-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
out=$ctx/rootfs
mkdir -p "$out/usr/bin" "$out/usr/lib/x86_64-linux-gnu" "$out/usr/lib64" "$out/etc" "$out/data" "$out/tmp"
ln -s usr/lib "$out/lib"
ln -s usr/lib64 "$out/lib64"
cp "$here/../redis-image/Dockerfile" "$ctx/"
cp -L "$root/$binary" "$out/usr/bin/redis-server"
case $name in valkey-*) ln -s redis-server "$out/usr/bin/valkey-server" ;; esac

# Every library the folder's loader resolves for the binary, and the loader itself, copied as files.
"$loader" --library-path "$libs" --list "$root/$binary" |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u | while read -r lib; do
  cp -L "$lib" "$out/usr/lib/x86_64-linux-gnu/"
done
cp -L "$loader" "$out/usr/lib64/ld-linux-x86-64.so.2"

echo 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$out/etc/passwd"
echo 'nogroup:x:65534:' >"$out/etc/group"
chmod 1777 "$out/tmp"
chmod 0777 "$out/data"

if docker buildx version >/dev/null 2>&1; then
  builder=()
else
  export DOCKER_BUILDKIT=0
  builder=(--quiet)
fi
docker build "${builder[@]}" --label "org.opencontainers.image.description=$name from Debian's packages ($(cat "$dir/pin")), FROM scratch" \
  --label "org.redisgrade.servers.from=$made_from" -t "$tag" "$ctx" >&2
# A smoke test: the binary, its loader and its libraries work inside the image, under the engine's command.
docker run --rm --network none "$tag" redis-server --version >&2
echo "$tag"
