# Shared by the per-environment layers (stateful, stateless) through a relative
# symlink (terraform/<layer>/env_variable.tf); the bootstrap layer has no environment.

variable "env" {
  description = "Environment name, e.g. dev or prod (lowercase letters, digits, hyphens; 2-16 characters)."
  type        = string

  validation {
    # A copy of the env format of strata.deploy's variable_refusals filter, its home
    # (Terraform cannot read it); tests/unit/test_one_home.py checks that the two are the same.
    condition     = can(regex("^[a-z][a-z0-9-]{0,14}[a-z0-9]$", var.env))
    error_message = "env must be 2-16 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}
