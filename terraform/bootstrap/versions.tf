terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
  # No backend block: strata's layer runner writes backend.tf into the layer's
  # working copy (local state on the first run, then this layer's own S3 bucket).
}

provider "aws" {
  region            = var.aws_region
  s3_use_path_style = var.aws_s3_use_path_style

  default_tags {
    tags = {
      Project   = var.project_name
      ManagedBy = "strata"
      Layer     = "bootstrap"
    }
  }
}
