locals {
  site_origin_id = "site-bucket"
  # AWS managed cache policy "Managed-CachingOptimized".
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  # AWS managed response headers policy "Managed-SecurityHeadersPolicy":
  # Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options,
  # X-XSS-Protection and Referrer-Policy on every response.
  security_headers_policy_id = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = local.site_bucket_name
  description                       = "Signed reads of ${local.site_bucket_name} by its distribution"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "site" {
  #checkov:skip=CKV_AWS_68:A static site with read-only GETs; a WAF web ACL costs a fixed monthly fee per environment, and the counter API has its own throttling.
  #checkov:skip=CKV2_AWS_47:No WAF web ACL (see CKV_AWS_68), and the origin is S3 serving static files: no Java, no Log4j.
  #checkov:skip=CKV2_AWS_42:No custom domain: the site is served on its cloudfront.net name with CloudFront's default certificate.
  #checkov:skip=CKV_AWS_174:With the default certificate CloudFront fixes the minimum protocol at TLSv1; a custom certificate (see CKV2_AWS_42) is needed to require TLSv1.2.
  #checkov:skip=CKV_AWS_310:One origin, one region's bucket: there is no second origin to fail over to.
  #checkov:skip=CKV_AWS_374:A public site meant for every country.
  #checkov:skip=CKV2_AWS_32:A response headers policy is attached: AWS's managed SecurityHeadersPolicy, by id (local.security_headers_policy_id) like the managed cache policy, because the emulator implements neither a policy resource nor its lookup; checkov sees only resource or data references.
  enabled             = true
  is_ipv6_enabled     = true
  comment             = "${var.project_name} site (${var.env})"
  default_root_object = "index.html"
  price_class         = var.price_class

  origin {
    origin_id                = local.site_origin_id
    domain_name              = module.site_bucket.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  default_cache_behavior {
    target_origin_id           = local.site_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = local.security_headers_policy_id
    compress                   = true
  }

  logging_config {
    bucket          = module.logs_bucket.bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  # CloudFront validates the logs bucket's ACL when logging is switched on.
  depends_on = [aws_s3_bucket_acl.logs]
}
