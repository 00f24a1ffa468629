# Read by the shared provider (providers.tf -> ../shared/providers.tf).
locals {
  layer      = "bootstrap"
  layer_tags = {}
}
