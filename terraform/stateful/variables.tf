variable "project_name" {
  description = "Project name, the prefix of every resource name (lowercase letters, digits, hyphens; 3-30 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$", var.project_name))
    error_message = "project_name must be 3-30 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "env" {
  description = "Environment name, e.g. dev or prod (lowercase letters, digits, hyphens; 2-16 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,14}[a-z0-9]$", var.env))
    error_message = "env must be 2-16 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
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

variable "price_class" {
  description = "CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be one of PriceClass_100, PriceClass_200, PriceClass_All."
  }
}

variable "logs_expiration_days" {
  description = "Days after which CloudFront access logs are deleted from the logs bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.logs_expiration_days >= 1 && floor(var.logs_expiration_days) == var.logs_expiration_days
    error_message = "logs_expiration_days must be a whole number of days, at least 1."
  }
}

variable "dynamodb_point_in_time_recovery" {
  description = "Enable point-in-time recovery on the visits table (on in prod)."
  type        = bool
  default     = false
  nullable    = false
}

variable "dynamodb_deletion_protection" {
  description = "Enable deletion protection on the visits table (on in prod): destroy fails while it is on."
  type        = bool
  default     = false
  nullable    = false
}

variable "s3_force_destroy" {
  description = "Let Terraform delete the buckets even when they hold objects. Keep false; a teardown sets it (apply, then destroy) only after its backup was verified."
  type        = bool
  default     = false
  nullable    = false
}
