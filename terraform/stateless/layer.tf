# Read by the shared provider (providers.tf -> ../shared/providers.tf).
locals {
  layer      = "stateless"
  layer_tags = { Environment = var.env }
}
