variable "bucket" {
  description = "Name of the bucket (globally unique)."
  type        = string

  validation {
    # A copy of the bucket_name format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.bucket))
    error_message = "bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "force_destroy" {
  description = "Let Terraform delete the bucket while it still holds objects (and object versions)."
  type        = bool
  default     = false
  nullable    = false
}

variable "object_ownership" {
  description = "S3 Object Ownership. BucketOwnerEnforced disables ACLs; a bucket that receives CloudFront standard logs needs BucketOwnerPreferred (its ACL then stays with the caller)."
  type        = string
  default     = "BucketOwnerEnforced"
  nullable    = false

  validation {
    condition     = contains(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"], var.object_ownership)
    error_message = "object_ownership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number, at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number, at least 1."
  }
}

variable "expiration_rules" {
  description = "Extra lifecycle rules that expire current objects (e.g. access logs) after expiration_days; prefix empty or null for every key. They join the noncurrent-version rule in the bucket's one lifecycle configuration."
  type = list(object({
    id              = string
    expiration_days = number
    prefix          = optional(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for rule in var.expiration_rules : rule.expiration_days >= 1 && floor(rule.expiration_days) == rule.expiration_days])
    error_message = "Every expiration rule needs a whole number of expiration_days, at least 1."
  }

  validation {
    condition     = length(distinct([for rule in var.expiration_rules : rule.id])) == length(var.expiration_rules) && !contains([for rule in var.expiration_rules : rule.id], "expire-noncurrent-versions")
    error_message = "Expiration rule ids must be unique and must not be expire-noncurrent-versions (the module's own rule)."
  }
}

variable "policy_documents" {
  description = "Extra IAM policy documents (JSON) merged into the bucket policy after the module's TLS-only statement, e.g. a CloudFront Origin Access Control read grant. Their statements need distinct Sids."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "object_lock_days" {
  description = "S3 Object Lock: days each new object version is retained (governance mode) after it is written; null for no Object Lock. Can only be switched on when the bucket is created."
  type        = number
  default     = null

  validation {
    condition     = var.object_lock_days == null ? true : var.object_lock_days >= 1 && floor(var.object_lock_days) == var.object_lock_days
    error_message = "object_lock_days must be null (no Object Lock) or a whole number of days, at least 1."
  }
}
