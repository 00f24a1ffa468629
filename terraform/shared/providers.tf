# Shared by every layer through a relative symlink (terraform/<layer>/providers.tf).
# Each layer names itself in local.layer and adds its own tags in local.layer_tags
# (layer.tf). The endpoint is never configured here: AWS_ENDPOINT_URL in the
# environment points the provider at an emulator when one is wanted.
provider "aws" {
  region            = var.aws_region
  s3_use_path_style = var.aws_s3_use_path_style

  default_tags {
    tags = merge(
      {
        Project   = var.project_name
        ManagedBy = "strata"
        Layer     = local.layer
      },
      local.layer_tags,
    )
  }
}
