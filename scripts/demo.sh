#!/usr/bin/env bash
# The quick-start on the emulator: start it, install the provider into a local filesystem mirror (the real
# `terraform init` path, with a lock file), then init, plan, apply, plan (no changes), destroy, and show what the
# emulator saw. The emulator is stopped however the script ends.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
demo="$root/.demo"
target="${CARGO_TARGET_DIR:-$root/target}/release"
platform="linux_amd64"
case "$(uname -m)" in
  aarch64 | arm64) platform="linux_arm64" ;;
esac
case "$(uname -s)" in
  Darwin) platform="darwin_${platform#linux_}" ;;
esac

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$demo"
mkdir -p "$demo/emulator" "$demo/work"

step "Starting the emulator"
"$target/dataprotection-emulator" --state-dir "$demo/emulator" --listen 127.0.0.1:0 >"$demo/emulator.log" 2>&1 &
emulator_pid=$!
stop_emulator() {
  if kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
    echo "Emulator stopped."
  fi
}
trap stop_emulator EXIT INT TERM

for _ in $(seq 1 100); do
  [ -s "$demo/emulator/address" ] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    cat "$demo/emulator.log" >&2
    echo "The emulator exited before it was ready." >&2
    exit 1
  fi
  sleep 0.1
done
base_url="$(cat "$demo/emulator/address")"
metadata_host="${base_url#https://}"
echo "Emulator at $base_url (CA: $demo/emulator/ca.pem)"

step "Installing the provider into a local filesystem mirror"
mirror="$demo/mirror"
dest="$mirror/registry.terraform.io/dpkit/dataprotection/$version/$platform"
mkdir -p "$dest"
cp "$target/terraform-provider-dataprotection" "$dest/terraform-provider-dataprotection_v$version"
cat >"$demo/terraform.rc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/dpkit/dataprotection"]
  }
  direct {
    exclude = ["registry.terraform.io/dpkit/dataprotection"]
  }
}
EOF
echo "$dest"

cp "$root/examples/quickstart/"*.tf "$demo/work/"
cd "$demo/work"

# The emulator's default world: a documented service principal, not a real secret.
export TF_CLI_CONFIG_FILE="$demo/terraform.rc"
export SSL_CERT_FILE="$demo/emulator/ca.pem"
unset SSL_CERT_DIR
export ARM_METADATA_HOSTNAME="$metadata_host"
export ARM_TENANT_ID="00000000-0000-0000-0000-00000000a001"
export ARM_SUBSCRIPTION_ID="00000000-0000-0000-0000-00000000b001"
export ARM_CLIENT_ID="00000000-0000-0000-0000-00000000c001"
export ARM_CLIENT_SECRET="emulator-demo-secret"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0

step "terraform init"
terraform init -no-color

step "terraform plan"
terraform plan -no-color

step "terraform apply"
terraform apply -auto-approve -no-color

step "terraform plan (expect no changes)"
set +e
terraform plan -detailed-exitcode -no-color
code=$?
set -e
if [ "$code" -ne 0 ]; then
  echo "The second plan was not empty (exit code $code)." >&2
  exit 1
fi

step "terraform destroy"
terraform destroy -auto-approve -no-color

step "What the emulator saw"
"$target/dataprotection-emulator" journal --state-dir "$demo/emulator"
echo
echo "Demo complete: the backup instance was validated, created, left unchanged by a second plan, and destroyed."
