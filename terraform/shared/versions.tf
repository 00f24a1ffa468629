# Shared by every layer through a relative symlink (terraform/<layer>/versions.tf).
terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
  # No backend block: strata's layer runner writes backend.tf into the layer's
  # working copy (the bootstrap layer starts with local state, then moves it into its
  # own bucket).
}
