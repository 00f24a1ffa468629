# The site and logs buckets moved into the private_bucket module: existing
# deployments keep their buckets and objects (terraform plan moves the resources
# instead of destroying and recreating them). Each bucket keeps exactly one policy
# and one lifecycle configuration. aws_s3_bucket_acl.logs stays where it was.

moved {
  from = aws_s3_bucket.site
  to   = module.site_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.site
  to   = module.site_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.site
  to   = module.site_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.site
  to   = module.site_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.site
  to   = module.site_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_policy.site
  to   = module.site_bucket.aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.logs
  to   = module.logs_bucket.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.logs
  to   = module.logs_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.logs
  to   = module.logs_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.logs
  to   = module.logs_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.logs
  to   = module.logs_bucket.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.logs
  to   = module.logs_bucket.aws_s3_bucket_policy.this
}
