output "cloudfront_domain" {
  description = "Domain name of the CloudFront distribution serving the site."
  value       = aws_cloudfront_distribution.site.domain_name
}

output "cloudfront_distribution_id" {
  description = "ID of the CloudFront distribution (for invalidations)."
  value       = aws_cloudfront_distribution.site.id
}

output "cloudfront_distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = aws_cloudfront_distribution.site.arn
}

output "site_bucket_id" {
  description = "Name of the private bucket holding the site content."
  value       = module.site_bucket.id
}

output "site_bucket_arn" {
  description = "ARN of the site bucket."
  value       = module.site_bucket.arn
}

output "logs_bucket_id" {
  description = "Name of the bucket receiving CloudFront access logs."
  value       = module.logs_bucket.id
}

output "dynamodb_table_name" {
  description = "Name of the visits table."
  value       = aws_dynamodb_table.visits.name
}

output "dynamodb_table_arn" {
  description = "ARN of the visits table."
  value       = aws_dynamodb_table.visits.arn
}
