#!/usr/bin/env bash
# Fetches libonnxruntime.so.1 (CPU, linux x64) from the npm package
# onnxruntime-node at a pinned version, checks its sha256 and caches it
# outside the repository. Prints the library's path on success.
#
#   WARDEN_ORT_CACHE  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/warden/onnxruntime)
#
# The npm registry is used because it is reachable where GitHub release
# downloads are not; the Dockerfile uses the official release archive.
set -euo pipefail

ORT_VERSION=1.30.0
LIB_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
TGZ_SHA256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75

root=${WARDEN_ORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warden/onnxruntime}
dest="$root/$ORT_VERSION"
lib="$dest/libonnxruntime.so.1"

check() { [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$2" ]]; }

if check "$lib" "$LIB_SHA256"; then
  echo "$lib"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-onnxruntime: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
[[ $(uname -m) == x86_64 ]] || { echo "fetch-onnxruntime: only linux x86_64 is pinned here; set WARDEN_ONNXRUNTIME_LIB" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
tgz="$tmp/onnxruntime-node-$ORT_VERSION.tgz"
if ! check "$tgz" "$TGZ_SHA256"; then
  echo "fetch-onnxruntime: checksum mismatch for $(basename "$tgz"): got $(sha256sum "$tgz" | cut -d' ' -f1), want $TGZ_SHA256" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
got="$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
if ! check "$got" "$LIB_SHA256"; then
  echo "fetch-onnxruntime: checksum mismatch for libonnxruntime.so.1: got $(sha256sum "$got" | cut -d' ' -f1), want $LIB_SHA256" >&2
  exit 1
fi
mkdir -p "$dest"
install -m 0644 "$got" "$lib.tmp"
mv "$lib.tmp" "$lib"
echo "$lib"
