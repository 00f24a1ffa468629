# The remote state backend shared by every environment of one AWS account.

module "state_bucket" {
  source = "../modules/private_bucket"

  bucket                             = var.state_bucket_name
  force_destroy                      = var.force_destroy
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  # Reviewed plans kept here by Automation Controller jobs (plans/<env>/<job id>/, written by
  # playbooks/plan.yml) expire: they hold the state's values.
  expiration_rules = [{
    id              = "expire-plan-bundles"
    prefix          = "plans/"
    expiration_days = var.plan_bundle_expire_days
  }]
}

# The lock table exists while a state may lock with it (lock modes dynamodb and both). With
# lock mode lockfile it stays unless strata is asked to remove it (manage_lock_table = false).
resource "aws_dynamodb_table" "lock" {
  count = var.manage_lock_table ? 1 : 0
  #checkov:skip=CKV_AWS_119:Lock items hold only lock metadata and state digests; server_side_encryption uses the AWS managed key (aws/dynamodb), without a CMK's cost and key policy.
  name         = var.lock_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

# Optional cost guard: a monthly cost budget that e-mails budget_alert_email when the actual
# cost passes budget_alert_threshold_percent of budget_limit_usd.
resource "aws_budgets_budget" "cost" {
  count = var.budget_alert_email == "" ? 0 : 1

  name         = "${var.project_name}-monthly-cost"
  budget_type  = "COST"
  limit_amount = format("%.2f", var.budget_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = var.budget_alert_threshold_percent
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = [var.budget_alert_email]
  }
}
