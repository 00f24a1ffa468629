# A private S3 bucket: ownership controls, all four public access blocks, SSE-S3 with
# a bucket key, versioning whose noncurrent versions expire, and a policy that denies
# every request without TLS, merged with the caller's extra statements.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs would need one more bucket per bucket; CloudTrail data events are the audit trail where one is wanted, and CloudFront already logs every read of the site.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage and needs a second region; the buckets are versioned and strata backs up their data before any destroy.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) on purpose: a KMS CMK costs per key and per request, and CloudFront OAC reads of SSE-KMS objects need a key policy for CloudFront.
  #checkov:skip=CKV2_AWS_62:Nothing consumes S3 event notifications in this stack.
  bucket        = var.bucket
  force_destroy = var.force_destroy
  # Object Lock can only be switched on when the bucket is created; null leaves it unset.
  object_lock_enabled = var.object_lock_days == null ? null : true
}

# Default retention of every new object version (Object Lock, governance mode): until it
# ends, no version can be deleted or overwritten without s3:BypassGovernanceRetention.
resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock_days == null ? 0 : 1

  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.object_lock_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_ownership_controls" "this" {
  #checkov:skip=CKV2_AWS_65:BucketOwnerEnforced by default; only a bucket receiving CloudFront standard logs passes BucketOwnerPreferred, because that delivery uses ACLs.
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = var.object_ownership
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

# The bucket's only lifecycle configuration (a second one on the same bucket would
# overwrite it): noncurrent versions expire, stale multipart uploads are aborted, and
# the caller's expiration rules come after. The rules cover every key, the S3-native
# lock files (*.tflock) of a state bucket included: each lock release leaves a
# noncurrent version behind.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  dynamic "rule" {
    for_each = var.expiration_rules

    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix == "" ? null : rule.value.prefix
      }

      expiration {
        days = rule.value.expiration_days
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = var.abort_incomplete_multipart_upload_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# The TLS-only statement first, then the caller's: one policy per bucket.
data "aws_iam_policy_document" "this" {
  source_policy_documents = concat([data.aws_iam_policy_document.tls_only.json], var.policy_documents)
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
