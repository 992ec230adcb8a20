# The whole disk backup workflow in one configuration: a backup vault, a disk backup policy in it, and a
# backup instance that protects an existing managed disk with that policy.
#
# The defaults match the emulator's default world (disk-app-01 in rg-workload, snapshots in rg-snapshots, the
# vault created in rg-backup), so it runs with no Azure account. Against Azure, set the variables to your own
# resource groups and disk, sign in with the usual ARM_* variables, and grant the vault's identity its two roles
# before the instance is created (see README.md).

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
  description = "Subscription of the resource groups and the disk."
  type        = string
  default     = "00000000-0000-0000-0000-00000000b001"
}

variable "resource_group_id" {
  description = "ARM ID of the resource group the vault is created in. Empty means rg-backup in var.subscription_id."
  type        = string
  default     = ""
}

variable "location" {
  description = "Region of the vault and of the disk."
  type        = string
  default     = "westus"
}

variable "vault_name" {
  description = "Name of the new backup vault."
  type        = string
  default     = "vault-complete"
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

variable "retention" {
  description = "How long snapshots are kept (ISO 8601). Changing it replaces the policy; the instance moves to the new policy before the old one is deleted."
  type        = string
  default     = "P7D"
}

locals {
  subscription      = "/subscriptions/${var.subscription_id}"
  resource_group_id = coalesce(var.resource_group_id, "${local.subscription}/resourceGroups/rg-backup")
  disk_id           = coalesce(var.disk_id, "${local.subscription}/resourceGroups/rg-workload/providers/Microsoft.Compute/disks/disk-app-01")
  snapshot_rg       = coalesce(var.snapshot_resource_group_id, "${local.subscription}/resourceGroups/rg-snapshots")
}

resource "dataprotection_backup_vault" "vault" {
  name              = var.vault_name
  resource_group_id = local.resource_group_id
  location          = var.location
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"

  # Off, so that `terraform destroy` can delete the vault right after its backup instance. With Azure's default
  # (On, 14 days) a deleted instance is kept soft-deleted, and the vault cannot be deleted until it is purged; the
  # provider then stops the destroy at plan and says so. Keep On (or AlwaysOn) for vaults that hold real backups.
  soft_delete = "Off"
}

resource "dataprotection_backup_policy_disk" "policy" {
  # A disk backup policy cannot change in place, and Azure does not delete one in use. The name follows the
  # settings, and create_before_destroy makes a change create the new policy, move the instance to it, and
  # delete the old policy last.
  name     = "disk-4h-${lower(var.retention)}"
  vault_id = dataprotection_backup_vault.vault.id

  backup_repeating_time_intervals = ["R/2024-01-01T02:00:00+00:00/PT4H"]
  default_retention_duration      = var.retention
  time_zone                       = "UTC"

  retention_rule {
    name              = "Daily"
    duration          = "P14D"
    priority          = 25
    absolute_criteria = "FirstOfDay"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "dataprotection_backup_instance" "disk" {
  name                       = "disk-app-01-backup"
  vault_id                   = dataprotection_backup_vault.vault.id
  datasource_id              = local.disk_id
  location                   = var.location
  backup_policy_id           = dataprotection_backup_policy_disk.policy.id
  snapshot_resource_group_id = local.snapshot_rg
}

output "vault_id" {
  value = dataprotection_backup_vault.vault.id
}

output "vault_principal_id" {
  description = "The vault's identity: grant it Disk Backup Reader on the disk and Disk Snapshot Contributor on the snapshot resource group."
  value       = dataprotection_backup_vault.vault.identity_principal_id
}

output "backup_policy_id" {
  value = dataprotection_backup_policy_disk.policy.id
}

output "protection_state" {
  value = dataprotection_backup_instance.disk.protection_state
}
