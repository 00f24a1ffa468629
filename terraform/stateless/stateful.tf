# The stateful layer's outputs, read from its state: the only way this layer learns
# about the table and the site it serves.
data "terraform_remote_state" "stateful" {
  backend = "s3"

  config = {
    bucket         = var.state_bucket
    key            = coalesce(var.stateful_state_key, "${var.env}/stateful/terraform.tfstate")
    region         = var.state_region
    use_path_style = var.aws_s3_use_path_style
  }
}

locals {
  stateful       = data.terraform_remote_state.stateful.outputs
  site_origin    = "https://${local.stateful.cloudfront_domain}"
  function_name  = "${var.project_name}-visits-api-${var.env}"
  log_group_name = "/aws/lambda/${local.function_name}"
  # The DynamoDB operations the counter performs: its IAM policy allows exactly
  # these, and each has a throttling alarm.
  table_operations = ["GetItem", "UpdateItem"]
}
