# Read by the shared provider (providers.tf -> ../shared/providers.tf).
locals {
  layer      = "stateful"
  layer_tags = { Environment = var.env }
}
