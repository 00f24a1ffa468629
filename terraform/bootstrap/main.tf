# The remote state backend shared by every environment of one AWS account.

module "state_bucket" {
  source = "../modules/private_bucket"

  bucket                             = var.state_bucket_name
  force_destroy                      = var.force_destroy
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
}

resource "aws_dynamodb_table" "lock" {
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
