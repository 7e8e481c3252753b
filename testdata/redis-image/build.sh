#!/usr/bin/env bash
# Builds a Redis image FROM scratch out of this machine's redis-server (Debian's package) and the shared
# libraries it needs, for the docker engine's tests and for machines that cannot pull redis:7.
#
#   testdata/redis-image/build.sh [TAG]        (default: redisgrade/redis:7-local)
#
# Needs redis-server (apt-get install redis-server), ldd and a running Docker engine. Idempotent: building
# again replaces the tag. Prints the tag on its last line.
set -euo pipefail

tag=${1:-redisgrade/redis:7-local}
here=$(cd "$(dirname "$0")" && pwd)

server=$(command -v redis-server || true)
if [[ -z $server ]]; then
  echo "build.sh: redis-server not found on PATH: apt-get install redis-server" >&2
  exit 1
fi
# On Debian /usr/bin/redis-server is a symlink to redis-check-rdb: redis picks its mode from argv[0], so the
# image holds the real file under the name redis-server.
real=$(readlink -f "$server")
version=$("$server" --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
if [[ -z $version ]]; then
  echo "build.sh: cannot read the version of $server" >&2
  exit 1
fi

ctx=$(mktemp -d "${TMPDIR:-/tmp}/redisgrade-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
root=$ctx/rootfs
mkdir -p "$root/usr/bin" "$root/etc" "$root/data" "$root/tmp"
cp "$here/Dockerfile" "$ctx/"
cp -L "$real" "$root/usr/bin/redis-server"

# Every library ldd resolves (name => /path) and the dynamic loader itself (a bare /path), copied as files
# (cp -L) at the path the binary looks them up by.
libs=$(ldd "$real" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
if [[ -z $libs ]]; then
  echo "build.sh: ldd found no libraries for $real (a static binary needs none, but this one should)" >&2
  exit 1
fi
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

# redis needs no passwd entry to run as 65534, but getpwuid and tools inspecting the image like one.
echo 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' > "$root/etc/passwd"
echo 'nogroup:x:65534:' > "$root/etc/group"
chmod 1777 "$root/tmp"
chmod 0777 "$root/data" # owned by root in the context; 65534 may write there (redis writes nothing: --save "")

# The legacy builder needs no buildx plugin, which Debian's docker.io does not ship.
if docker buildx version >/dev/null 2>&1; then
  builder=()
else
  export DOCKER_BUILDKIT=0
  builder=(--quiet)
fi
docker build "${builder[@]}" --label "org.opencontainers.image.description=redis-server $version from the host, FROM scratch" \
  -t "$tag" -t "redisgrade/redis:$version-local" "$ctx" >&2
# A smoke test: the binary and its loader work inside the image.
docker run --rm --network none "$tag" redis-server --version >&2
echo "$tag"
