output "api_url" {
  description = "Invoke URL of the API's $default stage; the counter is at <api_url>/count."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.counter.id
}

output "lambda_function_name" {
  description = "Name of the visitor counter Lambda function."
  value       = aws_lambda_function.counter.function_name
}

output "lambda_role_arn" {
  description = "ARN of the counter's execution role."
  value       = aws_iam_role.lambda.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the counter."
  value       = aws_cloudwatch_log_group.lambda.name
}
