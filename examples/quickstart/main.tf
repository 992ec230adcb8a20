# Protects one managed disk with a backup policy in an existing backup vault.
#
# The defaults match the emulator's default world, so `make demo` runs this with no Azure account. Against Azure,
# set the variables to your own vault, policy, disk and snapshot resource group, and sign in with the usual
# ARM_* variables (see the README).

terraform {
  required_providers {
    dataprotection = {
      source  = "dpkit/dataprotection"
      version = "~> 0.1"
    }
  }
}

# Credentials and cloud come from ARM_* environment variables, as with azurerm.
provider "dataprotection" {}

variable "subscription_id" {
  description = "Subscription of the vault, policy and disk."
  type        = string
  default     = "00000000-0000-0000-0000-00000000b001"
}

variable "vault_id" {
  description = "ARM ID of the backup vault. Empty means the emulator's vault-demo in var.subscription_id."
  type        = string
  default     = ""
}

variable "backup_policy_id" {
  description = "ARM ID of a disk backup policy in the vault. Empty means the emulator's policy-disk-daily."
  type        = string
  default     = ""
}

variable "disk_id" {
  description = "ARM ID of the managed disk to protect. Empty means the emulator's disk-app-01."
  type        = string
  default     = ""
}

variable "snapshot_resource_group_id" {
  description = "ARM ID of the resource group that receives the snapshots. Empty means the emulator's rg-snapshots."
  type        = string
  default     = ""
}

variable "location" {
  description = "Region of the disk."
  type        = string
  default     = "westus"
}

locals {
  subscription = "/subscriptions/${var.subscription_id}"
  vault_id     = coalesce(var.vault_id, "${local.subscription}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo")
  policy_id    = coalesce(var.backup_policy_id, "${local.vault_id}/backupPolicies/policy-disk-daily")
  disk_id      = coalesce(var.disk_id, "${local.subscription}/resourceGroups/rg-workload/providers/Microsoft.Compute/disks/disk-app-01")
  snapshot_rg  = coalesce(var.snapshot_resource_group_id, "${local.subscription}/resourceGroups/rg-snapshots")
}

resource "dataprotection_backup_instance" "disk" {
  name                       = "disk-app-01-backup"
  vault_id                   = local.vault_id
  datasource_id              = local.disk_id
  location                   = var.location
  backup_policy_id           = local.policy_id
  snapshot_resource_group_id = local.snapshot_rg
}

output "backup_instance_id" {
  value = dataprotection_backup_instance.disk.id
}

output "protection_state" {
  value = dataprotection_backup_instance.disk.protection_state
}
