# Backup of an Azure Kubernetes Service cluster: a Kubernetes policy and a backup instance, in a vault the
# cluster already trusts.
#
# AKS backup needs two things on the cluster before a vault protects it, which azurerm makes:
# - the backup extension (azurerm_kubernetes_cluster_extension, extension_type
#   "microsoft.dataprotection.kubernetes"), whose identity has "Storage Blob Data Contributor" on its storage
#   account;
# - a trusted access role binding for the vault (azurerm_kubernetes_cluster_trusted_access_role_binding, role
#   "Microsoft.DataProtection/backupVaults/backup-operator").
# Because the binding names the vault, the vault comes first; here it is given by its ID. Roles: the vault's
# identity needs "Reader" on the cluster and on the snapshot resource group, the cluster's identity
# "Contributor" on the snapshot resource group.
#
# The defaults match the emulator's default world: the cluster aks-app-01 in rg-workload has the extension and
# trusts vault-demo, whose identity holds the roles; snapshots go to rg-snapshots.

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
  description = "Subscription of the resource groups, the vault and the cluster."
  type        = string
  default     = "00000000-0000-0000-0000-00000000b001"
}

variable "location" {
  description = "Region of the vault and of the cluster (AKS backup needs them in one region)."
  type        = string
  default     = "westus"
}

variable "vault_id" {
  description = "ARM ID of a backup vault the cluster trusts. Empty means the emulator's vault-demo."
  type        = string
  default     = ""
}

variable "cluster_id" {
  description = "ARM ID of the AKS cluster. Empty means the emulator's aks-app-01."
  type        = string
  default     = ""
}

variable "retention" {
  description = "Default retention of the backups, an ISO 8601 duration."
  type        = string
  default     = "P7D"
}

locals {
  subscription = "/subscriptions/${var.subscription_id}"
  vault_id     = coalesce(var.vault_id, "${local.subscription}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo")
  cluster_id   = coalesce(var.cluster_id, "${local.subscription}/resourceGroups/rg-workload/providers/Microsoft.ContainerService/managedClusters/aks-app-01")
}

resource "dataprotection_backup_policy_kubernetes_cluster" "policy" {
  # Azure cannot change a Kubernetes cluster backup policy in place, and does not delete one in use. The name
  # follows the settings, so a change creates the new policy under its own name (create_before_destroy), moves the
  # backup instance to it (for AKS by replacing the instance: Azure does not move a cluster's instance to another
  # policy), and only then deletes the old one. Put any other setting you vary into the name too.
  name     = "aks-4h-${lower(var.retention)}"
  vault_id = local.vault_id

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

resource "dataprotection_backup_instance_kubernetes_cluster" "cluster" {
  name                       = "aks-app-01-backup"
  vault_id                   = local.vault_id
  datasource_id              = local.cluster_id
  location                   = var.location
  backup_policy_id           = dataprotection_backup_policy_kubernetes_cluster.policy.id
  snapshot_resource_group_id = "${local.subscription}/resourceGroups/rg-snapshots"

  backup_datasource_parameters {
    excluded_namespaces              = ["kube-system"]
    cluster_scoped_resources_enabled = true
    volume_snapshot_enabled          = true
  }
}

output "protection_state" {
  value = dataprotection_backup_instance_kubernetes_cluster.cluster.protection_state
}
