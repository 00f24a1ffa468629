resource "aws_apigatewayv2_api" "counter" {
  name          = "${var.project_name}-visits-${var.env}"
  description   = "Visitor counter of the ${var.project_name} site (${var.env})"
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins = [local.site_origin]
    allow_methods = ["GET", "POST"]
    allow_headers = ["content-type"]
    max_age       = 300
  }
}

resource "aws_apigatewayv2_integration" "counter" {
  api_id                 = aws_apigatewayv2_api.counter.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.counter.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "count" {
  #checkov:skip=CKV_AWS_309:The visitor counter is public by design: the site's anonymous visitors call it; CORS, stage throttling and reserved concurrency bound it.
  for_each = toset(["GET /count", "POST /count"])

  api_id    = aws_apigatewayv2_api.counter.id
  route_key = each.key
  target    = "integrations/${aws_apigatewayv2_integration.counter.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  #checkov:skip=CKV_AWS_76:Not yet: the emulator (moto 5.2) implements no UpdateStage, so an existing stage cannot gain access_log_settings there; meanwhile the function's log group and the error and throttle alarms cover the API.
  api_id      = aws_apigatewayv2_api.counter.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = var.api_throttling_rate_limit
    throttling_burst_limit = var.api_throttling_burst_limit
  }
}

# API Gateway may invoke the counter for the /count routes of this API only.
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.counter.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.counter.execution_arn}/*/*/count"
}
