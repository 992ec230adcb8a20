terraform {
  required_providers {
    dataprotection = {
      source  = "dpkit/dataprotection"
      version = "~> 0.1"
    }
  }
}

# Sign-in and cloud come from the usual ARM_* variables when the arguments are not set, as with azurerm:
# ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET for a service principal; ARM_USE_OIDC=true with
# ARM_OIDC_TOKEN_FILE_PATH for workload identity; ARM_USE_MSI=true for a managed identity; the Azure CLI otherwise.
provider "dataprotection" {
  subscription_id = "00000000-0000-0000-0000-000000000000"
}
