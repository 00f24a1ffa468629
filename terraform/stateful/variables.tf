# project_name, aws_region and aws_s3_use_path_style: common_variables.tf; env: env_variable.tf
# (both shared).

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

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent (overwritten or deleted) object versions in the site and logs buckets are deleted."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
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
