resource "aws_cloudwatch_log_group" "lambda" {
  #checkov:skip=CKV_AWS_158:The counter logs no personal data or secrets; CloudWatch Logs encrypts at rest with service-managed keys, and a CMK would add cost and a key policy to manage.
  #checkov:skip=CKV_AWS_338:Retention is log_retention_days (default 14): operational logs of a visitor counter, not an audit trail to keep for a year.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = local.function_name
  description        = "Runs the ${var.project_name} visitor counter (${var.env})"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

# Least privilege: the counter's own operations on its one table, and writing to its
# own log group. Lambda names the log streams, so the group's ARN ends in ":*", the
# form AWS itself grants Lambda execution roles.
data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "VisitsTable"
    actions   = [for operation in local.table_operations : "dynamodb:${operation}"]
    resources = [local.stateful.dynamodb_table_arn]
  }

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "visits-counter"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

resource "aws_lambda_function" "counter" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway only; a dead letter queue applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:It reaches only DynamoDB and CloudWatch Logs through their public endpoints; a VPC would need subnets and VPC endpoints or NAT for no gain.
  #checkov:skip=CKV_AWS_272:The package is built and hashed by the deploy (lambda_zip_base64sha256); there is no signing profile to validate against.
  #checkov:skip=CKV_AWS_173:The environment holds only the table name and the site origin, no secrets; Lambda encrypts it at rest with its AWS managed key.
  #checkov:skip=CKV_AWS_50:X-Ray tracing needs xray:PutTraceSegments on Resource "*", which the role's no-wildcard least-privilege policy excludes.
  function_name    = local.function_name
  description      = "Counts the visits of the ${var.project_name} site (${var.env})"
  role             = aws_iam_role.lambda.arn
  runtime          = "python3.12"
  handler          = "app.handler"
  filename         = var.lambda_zip_path
  source_code_hash = var.lambda_zip_base64sha256
  memory_size      = 128
  timeout          = 5

  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = {
      TABLE_NAME     = local.stateful.dynamodb_table_name
      ALLOWED_ORIGIN = local.site_origin
    }
  }

  # The log group and the permission to write to it exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.lambda]

  lifecycle {
    precondition {
      condition     = var.lambda_zip_path != "" && var.lambda_zip_base64sha256 != ""
      error_message = "lambda_zip_path and lambda_zip_base64sha256 must name the built package: they may be empty only to destroy the layer."
    }
  }
}
