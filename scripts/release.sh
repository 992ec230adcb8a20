#!/usr/bin/env bash
# Builds the provider for the platforms Terraform runs on and packages it the way the Terraform Registry and
# provider mirrors expect, with a signed SHA256SUMS. docs/release.md tells the whole story.
#
#   scripts/release.sh build PLATFORM...                builds each platform's binary; prints "PLATFORM=PATH" lines
#   scripts/release.sh package OUT_DIR PLATFORM=BINARY...   packages binaries built before (or on other machines)
#   scripts/release.sh all OUT_DIR [PLATFORM...]        build, then package (default: linux_amd64 linux_arm64
#                                                      windows_amd64, plus DARWIN_AMD64_BINARY / DARWIN_ARM64_BINARY)
#
# PLATFORM is os_arch: linux_amd64 (static, musl), linux_arm64 (glibc 2.17 or newer), windows_amd64, darwin_amd64,
# darwin_arm64. Builds for another OS than the host's cross-compile with cargo-zigbuild and zig (`make release`
# installs both into .tools/); the Rust targets are added with rustup when missing. darwin builds need a macOS
# host, or prebuilt binaries passed to `package` (see docs/release.md).
#
# OUT_DIR receives:
#   terraform-provider-dataprotection_<version>_<os>_<arch>.zip   the binary, as terraform-provider-dataprotection_v<version>
#                                                                 (.exe on Windows)
#   terraform-provider-dataprotection_<version>_manifest.json     the registry manifest (protocol 6.0)
#   terraform-provider-dataprotection_<version>_SHA256SUMS        SHA-256 of every zip and of the manifest
#   terraform-provider-dataprotection_<version>_SHA256SUMS.sig    binary detached GPG signature of SHA256SUMS (RSA key)
#   signing-key.asc                                               the signing key's public half, armored
#   mirror/registry.terraform.io/dpkit/dataprotection/            a network-mirror layout (index.json, <version>.json
#                                                                 with each platform's h1: and zh: hashes, and the
#                                                                 zips), usable as a filesystem_mirror as well
#
# Signing key, from the environment:
#   GPG_PRIVATE_KEY    an armored secret RSA key, imported into a temporary keyring (a real release: from a secret)
#   GPG_PASSPHRASE     its passphrase, if it has one
#   GPG_FINGERPRINT    the key to sign with: in GNUPGHOME's keyring when GPG_PRIVATE_KEY is unset, or one of several
#                      keys in GPG_PRIVATE_KEY
#   RELEASE_REQUIRE_KEY=1  fail when no key is given; otherwise a throwaway key is made, with a warning: such a
#                      release is fine for local mirrors and tests, not for the public registry
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
name="terraform-provider-dataprotection"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
export PATH="$root/.tools/zig/bin:$PATH"

die() {
  echo "release: $*" >&2
  exit 1
}

# The Rust target of a platform, as cargo-zigbuild takes it (a glibc version may follow the target).
rust_target() {
  case "$1" in
    linux_amd64) echo x86_64-unknown-linux-musl ;;
    linux_arm64) echo aarch64-unknown-linux-gnu.2.17 ;;
    windows_amd64) echo x86_64-pc-windows-gnu ;;
    darwin_amd64) echo x86_64-apple-darwin ;;
    darwin_arm64) echo aarch64-apple-darwin ;;
    *) die "unknown platform $1 (linux_amd64, linux_arm64, windows_amd64, darwin_amd64, darwin_arm64)" ;;
  esac
}

host_os() {
  case "$(uname -s)" in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    MINGW* | MSYS* | CYGWIN*) echo windows ;;
    *) uname -s | tr '[:upper:]' '[:lower:]' ;;
  esac
}

# Builds one platform's binary; prints its path.
build_one() {
  local platform="$1" target triple exe=""
  target="$(rust_target "$platform")"
  triple="${target%.2.17}"
  [ "${platform%%_*}" = windows ] && exe=".exe"
  if ! rustup target list --installed | grep -qx "$triple"; then
    rustup target add "$triple" >&2
  fi
  if [ "${platform%%_*}" = darwin ]; then
    # macOS builds link Apple's Security and CoreFoundation frameworks, which only a macOS SDK has.
    [ "$(host_os)" = darwin ] ||
      die "$platform needs a macOS host (its SDK's Security and CoreFoundation frameworks): build it there and pass it to 'package'"
    cargo build --release --locked --target "$triple" -p "$name" --bin "$name" >&2
  else
    command -v cargo-zigbuild >/dev/null ||
      die "cargo-zigbuild is required to build $platform (make release installs it into .tools/)"
    cargo zigbuild --release --locked --target "$target" -p "$name" --bin "$name" >&2
  fi
  local binary="$target_dir/$triple/release/$name$exe"
  [ -f "$binary" ] || die "no binary at $binary after the build"
  echo "$binary"
}

cmd_build() {
  [ $# -gt 0 ] || die "build: name at least one platform"
  local platform
  for platform in "$@"; do
    echo "$platform=$(build_one "$platform")"
  done
}

# Terraform's "h1:" hash of a package: SHA-256 over the sorted lines "<sha256 of file>  <name>" of its contents,
# base64-encoded.
h1_hash() {
  local zip="$1" dir
  dir="$(mktemp -d /tmp/release.XXXXXX)"
  unzip -q "$zip" -d "$dir"
  local summary_hex
  summary_hex="$(cd "$dir" && find . -type f | sed 's#^\./##' | LC_ALL=C sort | while read -r f; do
    printf '%s  %s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"
  done | sha256sum | cut -d' ' -f1)"
  rm -rf "$dir"
  echo "h1:$(printf '%b' "$(printf '%s' "$summary_hex" | sed 's/../\\x&/g')" | base64)"
}

# Temporary folders and keyrings, removed (their gpg-agent stopped) when the script exits.
temporary=()
cleanup() {
  local dir
  for dir in ${temporary[@]+"${temporary[@]}"}; do
    [ ! -d "$dir/private-keys-v1.d" ] || GNUPGHOME="$dir" gpgconf --kill gpg-agent 2>/dev/null || true
    rm -rf "$dir"
  done
}
trap cleanup EXIT

# A fresh folder in REPLY, removed at exit. Under /tmp: gpg-agent's socket path must stay short.
temp_dir() {
  REPLY="$(mktemp -d /tmp/release.XXXXXX)"
  temporary+=("$REPLY")
}

# Signs $1 into $1.sig (binary, detached) with the key the environment gives; writes the public key to $2.
sign() {
  local sums="$1" public="$2" home fpr
  local gpg=(gpg --batch --yes --quiet --pinentry-mode loopback)
  if [ -n "${GPG_PRIVATE_KEY:-}" ]; then
    temp_dir
    home="$REPLY"
    printf '%s\n' "$GPG_PRIVATE_KEY" | GNUPGHOME="$home" "${gpg[@]}" --import ||
      die "GPG_PRIVATE_KEY could not be imported"
  elif [ -n "${GPG_FINGERPRINT:-}" ]; then
    home="${GNUPGHOME:-$HOME/.gnupg}"
  elif [ "${RELEASE_REQUIRE_KEY:-0}" = 1 ]; then
    die "no signing key: set GPG_PRIVATE_KEY (and GPG_PASSPHRASE), or GPG_FINGERPRINT"
  else
    echo "release: WARNING: no signing key given (GPG_PRIVATE_KEY or GPG_FINGERPRINT); signing with a throwaway" \
      "RSA key: fine for local mirrors and tests, not for the public registry" >&2
    temp_dir
    home="$REPLY"
    GNUPGHOME="$home" "${gpg[@]}" --passphrase '' \
      --quick-gen-key "$name throwaway release key <release@localhost>" rsa3072 sign never ||
      die "could not make a throwaway key"
  fi
  fpr="${GPG_FINGERPRINT:-}"
  if [ -z "$fpr" ]; then
    fpr="$(GNUPGHOME="$home" gpg --batch --trust-model always --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')"
  fi
  [ -n "$fpr" ] || die "no secret key to sign with"
  # The registry takes RSA keys only (public-key algorithm 1).
  local algo
  algo="$(GNUPGHOME="$home" gpg --batch --trust-model always --with-colons --list-keys "$fpr" | awk -F: '$1 == "pub" { print $4; exit }')"
  [ "$algo" = 1 ] || die "the signing key $fpr is not an RSA key (the Terraform Registry takes RSA keys only)"
  # A binary signature (no --armor): terraform init refuses armored ones.
  GNUPGHOME="$home" "${gpg[@]}" --passphrase-fd 3 --local-user "$fpr" --detach-sign --output "$sums.sig" "$sums" \
    3<<<"${GPG_PASSPHRASE:-}" || die "signing $sums failed"
  GNUPGHOME="$home" gpg --batch --quiet --verify "$sums.sig" "$sums" 2>/dev/null ||
    die "the new signature does not verify"
  GNUPGHOME="$home" gpg --batch --armor --export "$fpr" >"$public"
  echo "release: signed with key $fpr" >&2
}

cmd_package() {
  [ $# -ge 2 ] || die "package: OUT_DIR PLATFORM=BINARY..."
  local out="$1"
  shift
  local tool
  for tool in zip unzip sha256sum base64 gpg; do
    command -v "$tool" >/dev/null || die "$tool is required"
  done
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  local work
  temp_dir
  work="$REPLY"

  local mirror="$out/mirror/registry.terraform.io/dpkit/dataprotection"
  rm -rf "$out/mirror"
  mkdir -p "$mirror"
  local archives="" zips=() spec platform binary exe zip_name
  for spec in "$@"; do
    platform="${spec%%=*}"
    binary="${spec#*=}"
    [ "$platform" != "$spec" ] || die "package: $spec is not PLATFORM=BINARY"
    rust_target "$platform" >/dev/null
    [ -f "$binary" ] || die "no $platform binary at $binary"
    exe=""
    [ "${platform%%_*}" = windows ] && exe=".exe"
    zip_name="${name}_${version}_${platform}.zip"
    rm -rf "$work/pack" && mkdir "$work/pack"
    cp "$binary" "$work/pack/${name}_v${version}${exe}"
    chmod 0755 "$work/pack/${name}_v${version}${exe}"
    rm -f "$out/$zip_name"
    (cd "$work/pack" && zip -q -X "$out/$zip_name" "${name}_v${version}${exe}")
    cp "$out/$zip_name" "$mirror/"
    archives="$archives${archives:+,}$(printf '"%s":{"url":"%s","hashes":["%s","zh:%s"]}' "$platform" "$zip_name" \
      "$(h1_hash "$out/$zip_name")" "$(sha256sum "$out/$zip_name" | cut -d' ' -f1)")"
    zips+=("$zip_name")
  done

  local manifest="${name}_${version}_manifest.json" sums="${name}_${version}_SHA256SUMS"
  cp "$root/terraform-registry-manifest.json" "$out/$manifest"
  (cd "$out" && printf '%s\n' "${zips[@]}" "$manifest" | LC_ALL=C sort | xargs sha256sum >"$sums")
  sign "$out/$sums" "$out/signing-key.asc"

  printf '{"versions":{"%s":{}}}\n' "$version" >"$mirror/index.json"
  printf '{"archives":{%s}}\n' "$archives" >"$mirror/$version.json"

  for zip_name in "${zips[@]}"; do echo "$out/$zip_name"; done
  echo "$out/$manifest"
  echo "$out/$sums"
  echo "$out/$sums.sig"
  echo "$out/mirror/registry.terraform.io/dpkit/dataprotection"
}

cmd_all() {
  [ $# -ge 1 ] || die "all: OUT_DIR [PLATFORM...]"
  local out="$1"
  shift
  local platforms=("$@")
  [ ${#platforms[@]} -gt 0 ] || platforms=(linux_amd64 linux_arm64 windows_amd64)
  local specs=() platform
  for platform in "${platforms[@]}"; do
    specs+=("$platform=$(build_one "$platform")")
  done
  [ -z "${DARWIN_AMD64_BINARY:-}" ] || specs+=("darwin_amd64=$DARWIN_AMD64_BINARY")
  [ -z "${DARWIN_ARM64_BINARY:-}" ] || specs+=("darwin_arm64=$DARWIN_ARM64_BINARY")
  cmd_package "$out" "${specs[@]}"
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  build) cmd_build "$@" ;;
  package) cmd_package "$@" ;;
  all) cmd_all "$@" ;;
  *) die "usage: scripts/release.sh build PLATFORM... | package OUT_DIR PLATFORM=BINARY... | all OUT_DIR [PLATFORM...]" ;;
esac
