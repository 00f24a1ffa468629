locals {
  site_bucket_name = "${var.project_name}-site-${var.env}"
  logs_bucket_name = "${var.project_name}-logs-${var.env}"
}

# Site bucket: private, ACLs disabled, readable only by this stack's distribution.
module "site_bucket" {
  source = "../modules/private_bucket"

  bucket                             = local.site_bucket_name
  force_destroy                      = var.s3_force_destroy
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  policy_documents                   = [data.aws_iam_policy_document.site_cloudfront_read.json]
}

data "aws_iam_policy_document" "site_cloudfront_read" {
  statement {
    sid       = "AllowCloudFrontOriginAccessControl"
    actions   = ["s3:GetObject"]
    resources = ["${module.site_bucket.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }
}

# Logs bucket: receives CloudFront standard logs, which are delivered through ACLs,
# so Object Ownership is BucketOwnerPreferred and the ACL below stays in this layer.
module "logs_bucket" {
  source = "../modules/private_bucket"

  bucket                             = local.logs_bucket_name
  force_destroy                      = var.s3_force_destroy
  object_ownership                   = "BucketOwnerPreferred"
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days

  expiration_rules = [{
    id              = "expire-access-logs"
    expiration_days = var.logs_expiration_days
  }]
}

data "aws_canonical_user_id" "current" {}

data "aws_cloudfront_log_delivery_canonical_user_id" "current" {}

# The complete ACL: the owner keeps full control and CloudFront's log delivery account
# may write. Declaring the grant CloudFront would otherwise add itself keeps plans clean.
resource "aws_s3_bucket_acl" "logs" {
  bucket = module.logs_bucket.id

  access_control_policy {
    owner {
      id = data.aws_canonical_user_id.current.id
    }

    grant {
      permission = "FULL_CONTROL"

      grantee {
        type = "CanonicalUser"
        id   = data.aws_canonical_user_id.current.id
      }
    }

    grant {
      permission = "FULL_CONTROL"

      grantee {
        type = "CanonicalUser"
        id   = data.aws_cloudfront_log_delivery_canonical_user_id.current.id
      }
    }
  }

  # ACLs apply only once the ownership controls allow them.
  depends_on = [module.logs_bucket]
}
