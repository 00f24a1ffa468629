output "s3_bucket_name" {
  description = "Name of the state bucket."
  value       = module.state_bucket.id
}

output "s3_bucket_arn" {
  description = "ARN of the state bucket."
  value       = module.state_bucket.arn
}

output "dynamodb_table_name" {
  description = "Name of the lock table (null once removed in lock mode lockfile)."
  value       = one(aws_dynamodb_table.lock[*].name)
}

output "dynamodb_table_arn" {
  description = "ARN of the lock table (null once removed in lock mode lockfile)."
  value       = one(aws_dynamodb_table.lock[*].arn)
}

output "budget_name" {
  description = "Name of the monthly cost budget (null when no budget_alert_email is given)."
  value       = one(aws_budgets_budget.cost[*].name)
}

output "backend_configuration" {
  description = "S3 backend settings for the layers that keep their state in this bucket (add key and the lock mode)."
  value = {
    bucket         = module.state_bucket.id
    region         = var.aws_region
    dynamodb_table = one(aws_dynamodb_table.lock[*].name)
    encrypt        = true
  }
}

output "backup_vault_bucket" {
  description = "Name of the backup vault; empty when the vault is off."
  value       = var.backup_vault ? module.backup_vault[0].id : ""
}
