# Shared by every layer through a relative symlink
# (terraform/<layer>/common_variables.tf): declare and validate these here only.

variable "project_name" {
  description = "Project name, the prefix of every resource name and the Project tag (lowercase letters, digits, hyphens; 3-30 characters)."
  type        = string

  validation {
    # A copy of the project_name format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$", var.project_name))
    error_message = "project_name must be 3-30 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "aws_region" {
  description = "AWS region of the layer's regional resources, e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like an AWS region name, e.g. eu-west-1."
  }
}

variable "aws_s3_use_path_style" {
  description = "Address S3 buckets by path instead of virtual host (needed by local emulators)."
  type        = bool
  default     = false
  nullable    = false
}
