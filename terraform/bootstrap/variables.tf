# project_name, aws_region and aws_s3_use_path_style: common_variables.tf (shared).

variable "state_bucket_name" {
  description = "Name of the S3 bucket that holds every layer's Terraform state (globally unique)."
  type        = string

  validation {
    # A copy of the bucket_name format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table used for state locking."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent versions of state objects (and of .tflock lock files) expire."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "plan_bundle_expire_days" {
  description = "Days after which plan bundles in the state bucket (plans/) expire."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.plan_bundle_expire_days >= 1 && floor(var.plan_bundle_expire_days) == var.plan_bundle_expire_days
    error_message = "plan_bundle_expire_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Allow destroying the state bucket while it still holds objects. strata sets it only during an explicit bootstrap teardown."
  type        = bool
  default     = false
}

variable "manage_lock_table" {
  description = "Keep the DynamoDB lock table. strata sets false only for lock mode lockfile with remove_lock_table, once no state locks with the table."
  type        = bool
  default     = true
  nullable    = false
}

variable "budget_alert_email" {
  description = "E-mail address alerted by the monthly cost budget; empty creates no budget."
  type        = string
  default     = ""
  nullable    = false

  validation {
    # A copy of the email format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = var.budget_alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.budget_alert_email))
    error_message = "budget_alert_email must be empty or an e-mail address."
  }
}

variable "budget_limit_usd" {
  description = "The monthly cost budget in USD."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.budget_limit_usd > 0
    error_message = "budget_limit_usd must be more than 0."
  }
}

variable "budget_alert_threshold_percent" {
  description = "Percentage of budget_limit_usd whose actual cost triggers the e-mail."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.budget_alert_threshold_percent > 0 && var.budget_alert_threshold_percent <= 1000
    error_message = "budget_alert_threshold_percent must be more than 0 and at most 1000."
  }
}

variable "backup_vault" {
  description = "Create the backup vault, an S3 bucket that keeps every environment's backups (see vault.tf)."
  type        = bool
  default     = false
  nullable    = false
}

variable "backup_vault_bucket" {
  description = "Name of the backup vault (globally unique); strata derives {project_name}-backups-{account id}."
  type        = string
  default     = ""
  nullable    = false

  validation {
    # A copy of the bucket_name format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = var.backup_vault_bucket == "" || (can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.backup_vault_bucket)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.backup_vault_bucket)))
    error_message = "backup_vault_bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "backup_vault_object_lock_days" {
  description = "Days S3 Object Lock retains each backup object in the vault (governance mode); null for no Object Lock. Only takes effect when the vault is created."
  type        = number
  default     = null
}

variable "backup_vault_expiration_days" {
  description = "Days after which backups in the vault expire (lifecycle rule); longer than backup_vault_object_lock_days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.backup_vault_expiration_days >= 1 && floor(var.backup_vault_expiration_days) == var.backup_vault_expiration_days
    error_message = "backup_vault_expiration_days must be a whole number of days, at least 1."
  }
}

variable "backup_vault_adopt" {
  description = "The vault bucket exists already (it outlived an earlier state backend): import it instead of creating it."
  type        = bool
  default     = false
  nullable    = false
}
