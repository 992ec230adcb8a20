#!/usr/bin/env bash
# Installs the release build as registry.terraform.io/dpkit/dataprotection into the implied local mirror
# ~/.terraform.d/plugins, so `terraform init` finds it without network access.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
binary="${CARGO_TARGET_DIR:-$root/target}/release/terraform-provider-dataprotection"
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in
  x86_64 | amd64) arch="amd64" ;;
  aarch64 | arm64) arch="arm64" ;;
  *) arch="$(uname -m)" ;;
esac
dest="${TF_PLUGINS_DIR:-$HOME/.terraform.d/plugins}/registry.terraform.io/dpkit/dataprotection/$version/${os}_${arch}"
mkdir -p "$dest"
install -m 0755 "$binary" "$dest/terraform-provider-dataprotection_v$version"
echo "installed $dest/terraform-provider-dataprotection_v$version"
