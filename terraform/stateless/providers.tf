# The endpoint is never configured here: AWS_ENDPOINT_URL in the environment points
# the provider at an emulator when one is wanted.
provider "aws" {
  region            = var.aws_region
  s3_use_path_style = var.aws_s3_use_path_style

  default_tags {
    tags = {
      Project     = var.project_name
      Environment = var.env
      ManagedBy   = "strata"
      Layer       = "stateless"
    }
  }
}
