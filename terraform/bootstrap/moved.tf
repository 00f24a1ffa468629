# The state bucket moved into the private_bucket module: existing deployments keep
# their resources (terraform plan moves them instead of destroying and recreating).
moved {
  from = aws_s3_bucket.state
  to   = module.state_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.state
  to   = module.state_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.state
  to   = module.state_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.state
  to   = module.state_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.state
  to   = module.state_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.state
  to   = module.state_bucket.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.state
  to   = module.state_bucket.aws_s3_bucket_policy.this
}

# The lock table became optional (lock mode lockfile may remove it).
moved {
  from = aws_dynamodb_table.lock
  to   = aws_dynamodb_table.lock[0]
}
