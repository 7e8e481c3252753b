#!/usr/bin/env bash
# Fetches the servers the version matrix grades on, from Debian's own packages, without touching the machine's
# package sources: Valkey 8.0.1 (Debian 12 bookworm-backports), Redis 8.0.2 and Valkey 8.1.1 (Debian 13 trixie).
#
#   testdata/servers/fetch.sh            fetch what is missing, then print NAME=PATH,... on the last line
#
# Each server is unpacked with its own libraries (libc included) into a folder of its own, and run by a small
# wrapper through that folder's dynamic loader: a trixie binary needs trixie's libc, which the machine must not
# get (testdata/servers/README.md). The line printed is what REDISGRADE_TEST_SERVERS takes; it starts with the
# machine's own redis-server, where there is one.
#
# Environment:
#   REDISGRADE_SERVERS_CACHE  where the servers are kept (default ${XDG_CACHE_HOME:-~/.cache}/redisgrade/servers)
#   REDISGRADE_DEBIAN_MIRROR  the Debian mirror (default: the one this machine's apt uses, else deb.debian.org)
#
# A server already in the cache is not fetched again: a second run downloads nothing. Needs apt-get and dpkg-deb
# (any Debian or Ubuntu) and debian-archive-keyring; apt checks every file against Debian's signed indexes.
set -euo pipefail

# name  suite  package=version (the package holding the binary)  binary in it  argv[0] it serves as
pins=(
  "valkey-8.0.1 bookworm-backports valkey-tools=8.0.1+dfsg1-1~bpo12+1 usr/bin/valkey-check-rdb valkey-server"
  "redis-8.0.2 trixie redis-tools=5:8.0.2-3+deb13u3 usr/bin/redis-check-rdb redis-server"
  "valkey-8.1.1 trixie valkey-tools=8.1.1+dfsg1-3+deb13u3 usr/bin/valkey-check-rdb valkey-server"
)

cache=${REDISGRADE_SERVERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redisgrade/servers}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
say() { echo "fetch.sh: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# debian_mirror prints the Debian mirror this machine's apt uses for its own release, else deb.debian.org.
debian_mirror() {
  if [[ -n ${REDISGRADE_DEBIAN_MIRROR:-} ]]; then
    echo "${REDISGRADE_DEBIAN_MIRROR%/}"
    return
  fi
  local codename="" uri
  if [[ -r /etc/os-release ]]; then
    codename=$(. /etc/os-release && [[ ${ID:-} == debian ]] && echo "${VERSION_CODENAME:-}")
  fi
  if [[ -n $codename ]]; then
    uri=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null | awk -v s="$codename" '$1 == s {print $2; exit}')
    if [[ -n $uri ]]; then
      echo "${uri%/}"
      return
    fi
  fi
  echo http://deb.debian.org/debian
}

# suite_sources prints a sources.list for a suite: backports and updates come with the release they extend,
# whose libraries the binary was built against.
suite_sources() {
  local mirror=$1 suite=$2 base=${2%-backports}
  echo "deb [signed-by=$keyring] $mirror $base main"
  echo "deb [signed-by=$keyring] $mirror $base-updates main"
  if [[ $suite != "$base" ]]; then
    echo "deb [signed-by=$keyring] $mirror $suite main"
  fi
}

# apt_private runs apt-get or apt-cache under the suite's private configuration: its own sources, lists and
# cache, no machine state, preferences or locks.
apt_private() {
  local tool=$1 suite=$2
  shift 2
  local dir=$cache/.apt/$suite
  "$tool" -q \
    -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o Dir::State::status=/dev/null \
    -o Debug::NoLocking=true -o APT::Sandbox::User="$(id -un)" "$@"
}

updated=()
apt_update() {
  local suite=$1 dir=$cache/.apt/$1
  [[ " ${updated[*]} " == *" $suite "* ]] && return
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  suite_sources "$mirror" "$suite" >"$dir/sources.list"
  say "apt-get update ($suite from $mirror, a private configuration)"
  apt_private apt-get "$suite" update >/dev/null || die "apt-get update of $suite from $mirror failed"
  updated+=("$suite")
}

# resolve prints package=version for the pin, or for the suite's version of it when Debian replaced the pinned
# revision with one of the same upstream version (a security update): the server stays the same release.
resolve() {
  local suite=$1 pin=$2 pkg=${2%%=*} want=${2#*=} have
  # apt-cache show exits 0 for a version it does not have: what it prints is the answer.
  if [[ -n $(apt_private apt-cache "$suite" show "$pin" 2>/dev/null) ]]; then
    echo "$pin"
    return
  fi
  have=$(apt_private apt-cache "$suite" policy "$pkg" | awk '/Candidate:/ {print $2}')
  if [[ -n $have && $have != "(none)" && $(upstream "$have") == $(upstream "$want") ]]; then
    say "warning: $suite no longer has $pin; using $pkg=$have, the same upstream release (update the pin in $0)"
    echo "$pkg=$have"
    return
  fi
  die "$suite has no $pin (it has ${have:-nothing}): update the pin in $0"
}

# upstream is a Debian version's upstream part: 5:8.0.2-3+deb13u3 -> 8.0.2.
upstream() {
  local v=${1#*:}
  v=${v%-*}
  echo "${v%%+*}"
}

# closure prints the packages the binary's package needs to run (its libraries and theirs), not the ones it
# needs to be installed (adduser, init-system-helpers).
closure() {
  local suite=$1 pin=$2
  local deps
  deps=$(apt_private apt-cache "$suite" show "$pin" | sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' | tr ',' '\n' |
    sed 's/^ *//; s/[ (|].*//' | grep '^lib' | sort -u)
  apt_private apt-cache "$suite" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $deps | grep -v '^ ' | grep -v '^<' | sort -u
}

# merge_usr moves a pre-trixie package's /lib and /lib64 under /usr, as a merged-/usr system has them, and leaves
# symlinks: one layout for every server's folder and image.
merge_usr() {
  local root=$1 d
  for d in lib lib64; do
    if [[ -d $root/$d && ! -L $root/$d ]]; then
      mkdir -p "$root/usr/$d"
      cp -a "$root/$d/." "$root/usr/$d/"
      rm -rf "${root:?}/$d"
    fi
    ln -sfn "usr/$d" "$root/$d"
  done
}

# fetch_server downloads, checks and unpacks one server into the cache.
fetch_server() {
  local name=$1 suite=$2 pin=$3 binary=$4 argv0=$5
  local dest=$cache/$name work pkgs version
  apt_update "$suite"
  pin=$(resolve "$suite" "$pin")
  work=$(mktemp -d "$cache/.$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"
  mkdir -p "$work/debs" "$work/root"
  mapfile -t pkgs < <(closure "$suite" "$pin")
  ((${#pkgs[@]})) || die "$name: found none of the libraries $pin needs"
  say "$name: apt-get download ${pin} and ${#pkgs[@]} libraries"
  (cd "$work/debs" && apt_private apt-get "$suite" download "$pin" "${pkgs[@]}" >/dev/null) ||
    die "$name: apt-get download failed"
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
  done
  merge_usr "$work/root"
  [[ -x $work/root/$binary ]] || die "$name: $pin has no $binary"
  write_wrapper "$work" "$binary" "$argv0"
  check_server "$name" "$work" "$binary"
  (cd "$work/debs" && sha256sum -- *.deb) >"$work/packages.sha256"
  rm -rf "$work/debs"
  echo "$pin" >"$work/pin"
  echo "$binary" >"$work/binary"
  rm -rf "$dest"
  mv "$work" "$dest"
  trap - EXIT
}

# write_wrapper writes the server's start script: the folder's own loader and libraries, and the name the
# binary picks its role from (Debian ships one binary; redis-server and redis-check-rdb are its names).
write_wrapper() {
  local dir=$1 binary=$2 argv0=$3
  cat >"$dir/$argv0" <<EOF
#!/bin/sh
# Runs $argv0 from this folder's own Debian packages, with their libc (see testdata/servers/README.md).
root=\$(dirname "\$(readlink -f "\$0")")/root
exec "\$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "\$root/usr/lib/x86_64-linux-gnu" \\
  --argv0 $argv0 "\$root/$binary" "\$@"
EOF
  chmod 755 "$dir/$argv0"
}

# check_server makes sure every library resolves inside the folder and the server says the expected version.
check_server() {
  local name=$1 dir=$2 binary=$3 root=$2/root wrapper server version
  wrapper=$(ls "$dir"/*-server)
  if "$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" --list \
    "$root/$binary" | grep -v -e "=> $root/" -e '^\s*linux-vdso' -e "^\s*/lib64/ld-linux-x86-64.so.2 => $root" | grep .; then
    die "$name: the libraries above do not resolve inside $root"
  fi
  server=$("$wrapper" --version) || die "$name: $wrapper --version failed"
  version=$(sed -n 's/.* v=\([0-9.]*\).*/\1/p' <<<"$server")
  [[ $version == "${name#*-}" ]] || die "$name: the server says it is version ${version:-unknown}: $server"
}

usable() {
  local dir=$cache/$1
  [[ -f $dir/pin && -f $dir/binary && -x $(ls "$dir"/*-server 2>/dev/null | head -n 1) ]]
}

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (Debian or Ubuntu)"
mkdir -p "$cache"
mirror=""
list=()
if own=$(command -v redis-server); then
  own_version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
  list+=("redis-$own_version=$own")
fi
for line in "${pins[@]}"; do
  read -r name suite pin binary argv0 <<<"$line"
  if ! usable "$name"; then
    [[ -r $keyring ]] || die "needs Debian's archive keyring $keyring (apt-get install debian-archive-keyring)"
    [[ -n $mirror ]] || mirror=$(debian_mirror)
    fetch_server "$name" "$suite" "$pin" "$binary" "$argv0"
  fi
  list+=("$name=$(ls "$cache/$name"/*-server)")
done
# The indexes are only needed while fetching, and a later fetch updates them again.
rm -rf "${cache:?}/.apt"
(
  IFS=,
  echo "${list[*]}"
)
