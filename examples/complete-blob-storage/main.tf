# Blob backup of a storage account, operational and vaulted: a backup vault, a blob policy with both tiers,
# and a backup instance that names the containers vaulted backup copies.
#
# The defaults match the emulator's default world (the storage account stappdata01 in rg-workload, with the
# containers invoices and reports), so it runs with no Azure account. Against Azure, set the variables, sign in
# with the usual ARM_* variables, and grant the vault's identity "Storage Account Backup Contributor" on the
# storage account before the instance is created (the emulator grants it to every new vault identity).

terraform {
  required_providers {
    dataprotection = {
      source  = "dpkit/dataprotection"
      version = "~> 0.1"
    }
  }
}

provider "dataprotection" {}

variable "subscription_id" {
  description = "Subscription of the resource groups and the storage account."
  type        = string
  default     = "00000000-0000-0000-0000-00000000b001"
}

variable "location" {
  description = "Region of the vault and of the storage account."
  type        = string
  default     = "westus"
}

variable "storage_account_id" {
  description = "ARM ID of the storage account whose blobs are protected. Empty means the emulator's stappdata01."
  type        = string
  default     = ""
}

variable "containers" {
  description = "The containers vaulted backup copies to the vault. Changing them updates the backup instance in place."
  type        = list(string)
  default     = ["invoices"]
}

variable "operational_retention" {
  description = "Operational (point-in-time) retention, an ISO 8601 duration."
  type        = string
  default     = "P30D"
}

variable "vault_retention" {
  description = "Default retention of the vaulted daily copies, an ISO 8601 duration."
  type        = string
  default     = "P90D"
}

locals {
  subscription       = "/subscriptions/${var.subscription_id}"
  storage_account_id = coalesce(var.storage_account_id, "${local.subscription}/resourceGroups/rg-workload/providers/Microsoft.Storage/storageAccounts/stappdata01")
}

resource "dataprotection_backup_vault" "vault" {
  name              = "vault-blob-complete"
  resource_group_id = "${local.subscription}/resourceGroups/rg-backup"
  location          = var.location
  datastore_type    = "VaultStore"
  redundancy        = "LocallyRedundant"

  # Off, so that `terraform destroy` can delete the vault right after its backup instance (see examples/complete).
  soft_delete = "Off"
}

resource "dataprotection_backup_policy_blob_storage" "policy" {
  # Azure cannot change a blob backup policy in place, and does not delete one in use. The name follows the
  # settings, so a change creates the new policy under its own name (create_before_destroy), moves the backup
  # instance to it in place, and only then deletes the old one. Put any other setting you vary into the name too.
  name     = "blob-op${trimprefix(lower(var.operational_retention), "p")}-vault${trimprefix(lower(var.vault_retention), "p")}"
  vault_id = dataprotection_backup_vault.vault.id

  # Operational backup: point-in-time restore within the storage account, for 30 days.
  operational_default_retention_duration = var.operational_retention

  # Vaulted backup: a daily copy of the instance's containers in the vault, kept 90 days, the first of each
  # month for a year.
  backup_repeating_time_intervals  = ["R/2024-01-01T02:00:00+00:00/P1D"]
  vault_default_retention_duration = var.vault_retention
  time_zone                        = "UTC"

  retention_rule {
    name              = "Monthly"
    duration          = "P12M"
    priority          = 20
    absolute_criteria = "FirstOfMonth"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "dataprotection_backup_instance_blob_storage" "blobs" {
  name                            = "stappdata01-blobs"
  vault_id                        = dataprotection_backup_vault.vault.id
  datasource_id                   = local.storage_account_id
  location                        = var.location
  backup_policy_id                = dataprotection_backup_policy_blob_storage.policy.id
  storage_account_container_names = var.containers
}

output "protection_state" {
  value = dataprotection_backup_instance_blob_storage.blobs.protection_state
}
