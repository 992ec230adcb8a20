#!/usr/bin/env bash
# Packages a provider binary the way the Terraform Registry and provider mirrors expect.
#
#   scripts/release.sh [OUT_DIR] [BINARY]
#
# OUT_DIR (default dist/) receives:
#   terraform-provider-dataprotection_<version>_<os>_<arch>.zip   the binary, as terraform-provider-dataprotection_v<version>
#   terraform-provider-dataprotection_<version>_manifest.json     the registry manifest (protocol 6.0)
#   terraform-provider-dataprotection_<version>_SHA256SUMS        SHA-256 of the zip and the manifest
#   mirror/registry.terraform.io/dpkit/dataprotection/            a network-mirror layout (index.json, <version>.json
#                                                                 with the h1: hash, and the zip), usable as a
#                                                                 filesystem_mirror as well
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/dist}"
binary="${2:-${CARGO_TARGET_DIR:-$root/target}/release/terraform-provider-dataprotection}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
name="terraform-provider-dataprotection"

os="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in
  x86_64 | amd64) arch="amd64" ;;
  aarch64 | arm64) arch="arm64" ;;
  *) arch="$(uname -m)" ;;
esac

for tool in zip unzip sha256sum base64; do
  command -v "$tool" >/dev/null || { echo "release: $tool is required" >&2; exit 1; }
done
[ -x "$binary" ] || { echo "release: no provider binary at $binary (run cargo build --release first)" >&2; exit 1; }

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

zip_name="${name}_${version}_${os}_${arch}.zip"
cp "$binary" "$work/${name}_v${version}"
chmod 0755 "$work/${name}_v${version}"
rm -f "$out/$zip_name"
(cd "$work" && zip -q -X "$out/$zip_name" "${name}_v${version}")

cp "$root/terraform-registry-manifest.json" "$out/${name}_${version}_manifest.json"
(cd "$out" && sha256sum "$zip_name" "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")

# Terraform's "h1:" hash of a package: SHA-256 over the sorted lines "<sha256 of file>  <name>" of its contents,
# base64-encoded.
mkdir "$work/unpacked"
unzip -q "$out/$zip_name" -d "$work/unpacked"
summary_hex="$(cd "$work/unpacked" && find . -type f | sed 's#^\./##' | LC_ALL=C sort | while read -r f; do
  printf '%s  %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"
done | sha256sum | cut -d' ' -f1)"
h1="h1:$(printf '%b' "$(printf '%s' "$summary_hex" | sed 's/../\\x&/g')" | base64)"
zh="zh:$(sha256sum "$out/$zip_name" | cut -d' ' -f1)"

mirror="$out/mirror/registry.terraform.io/dpkit/dataprotection"
mkdir -p "$mirror"
cp "$out/$zip_name" "$mirror/"
printf '{"versions":{"%s":{}}}\n' "$version" >"$mirror/index.json"
printf '{"archives":{"%s_%s":{"url":"%s","hashes":["%s","%s"]}}}\n' "$os" "$arch" "$zip_name" "$h1" "$zh" >"$mirror/$version.json"

echo "$out/$zip_name"
echo "$out/${name}_${version}_SHA256SUMS"
echo "$out/${name}_${version}_manifest.json"
echo "$mirror ($h1)"
