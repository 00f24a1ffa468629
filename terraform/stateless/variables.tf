# project_name, aws_region and aws_s3_use_path_style: common_variables.tf; env: env_variable.tf
# (both shared).

variable "state_bucket" {
  description = "S3 bucket holding the Terraform states (the bootstrap layer's bucket)."
  type        = string

  validation {
    # A copy of the bucket_name format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "state_region" {
  description = "Region of the state bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.state_region))
    error_message = "state_region must look like an AWS region name, e.g. eu-west-1."
  }
}

variable "stateful_state_key" {
  description = "Key of the stateful layer's state in the state bucket (default: <env>/stateful/terraform.tfstate)."
  type        = string
  default     = null

  validation {
    condition     = var.stateful_state_key == null || can(regex("^[^/].*[^/]$", var.stateful_state_key))
    error_message = "stateful_state_key must be an object key that neither starts nor ends with a slash."
  }
}

variable "lambda_zip_path" {
  description = "Path of the zip holding the visitor counter's code (app.py with handler()). May be empty only to destroy the layer."
  type        = string
  nullable    = false

  validation {
    condition     = var.lambda_zip_path == "" || endswith(var.lambda_zip_path, ".zip")
    error_message = "lambda_zip_path must name a .zip file."
  }
}

variable "lambda_zip_base64sha256" {
  description = "Base64-encoded SHA-256 of the zip at lambda_zip_path; a new value redeploys the code. May be empty only to destroy the layer."
  type        = string
  nullable    = false

  validation {
    condition     = var.lambda_zip_base64sha256 == "" || can(regex("^[A-Za-z0-9+/]{43}=$", var.lambda_zip_base64sha256))
    error_message = "lambda_zip_base64sha256 must be a base64-encoded SHA-256 digest (44 characters)."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the Lambda's logs (a value CloudWatch Logs accepts, e.g. 7, 30, 365)."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "api_throttling_rate_limit" {
  description = "Steady-state requests per second the API stage allows."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be positive."
  }
}

variable "api_throttling_burst_limit" {
  description = "Burst of requests the API stage allows above the rate limit."
  type        = number
  default     = 100

  validation {
    condition     = var.api_throttling_burst_limit >= 1 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number, at least 1."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Concurrent executions reserved for, and capping, the counter (default: the stage's burst limit); -1 reserves none, which an account whose Lambda concurrency quota is still 10 needs."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.lambda_reserved_concurrency == -1 || (var.lambda_reserved_concurrency >= 1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency)
    error_message = "lambda_reserved_concurrency must be -1 (no reservation) or a whole number, at least 1."
  }
}

variable "alarm_email" {
  description = "E-mail address that receives the alarms through SNS; empty for no notifications."
  type        = string
  default     = ""
  nullable    = false

  validation {
    # A copy of the email format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = var.alarm_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be empty or an e-mail address."
  }
}
