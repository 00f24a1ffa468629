# The backup vault: backups of every environment of the account, kept in S3 so that they
# outlive the machine that took them. Switched on by backup_vault.
#
# It belongs to the account, not to the state backend: strata's teardown of the backend
# removes the vault from this state before destroying the rest, so the vault and every
# backup in it stay (force_destroy is never set on it). A later deploy adopts the vault
# again (backup_vault_adopt, set when the bucket exists) instead of failing to create it:
# the bucket and its Object Lock configuration are imported, the other settings applied.

module "backup_vault" {
  source = "../modules/private_bucket"
  count  = var.backup_vault ? 1 : 0

  bucket           = var.backup_vault_bucket
  force_destroy    = false
  object_lock_days = var.backup_vault_object_lock_days
  expiration_rules = [{
    id              = "expire-old-backups"
    expiration_days = var.backup_vault_expiration_days
  }]
}

import {
  for_each = var.backup_vault && var.backup_vault_adopt ? toset([var.backup_vault_bucket]) : toset([])
  to       = module.backup_vault[0].aws_s3_bucket.this
  id       = each.value
}

import {
  for_each = var.backup_vault && var.backup_vault_adopt && var.backup_vault_object_lock_days != null ? toset([var.backup_vault_bucket]) : toset([])
  to       = module.backup_vault[0].aws_s3_bucket_object_lock_configuration.this[0]
  id       = each.value
}
