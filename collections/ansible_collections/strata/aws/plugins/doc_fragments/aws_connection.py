"""Documentation of the AWS connection options that strata.aws's modules share."""
from __future__ import annotations


class ModuleDocFragment:
    # region and endpoint_url, as every module of the collection that talks to AWS takes them:
    # extends_documentation_fragment: [strata.aws.aws_connection]
    DOCUMENTATION = r"""
options:
  region:
    description: AWS region; unset uses the standard AWS configuration chain (for example E(AWS_REGION)).
    type: str
  endpoint_url:
    description:
      - AWS endpoint URL, for example that of a local emulator; unset lets boto3 decide (it
        honours E(AWS_ENDPOINT_URL)).
    type: str
requirements: [boto3]
"""

    # What the backup modules add to those (module_utils/backup_module.py AWS_ARGUMENT_SPEC):
    # the aws_ aliases and retries. Ansible merges these entries into the ones above, so it is
    # used together with them:
    # extends_documentation_fragment: [strata.aws.aws_connection, strata.aws.aws_connection.backup]
    BACKUP = r"""
options:
  region:
    aliases: [aws_region]
  endpoint_url:
    aliases: [aws_endpoint_url]
  retries:
    description: Attempts for throttled requests, for botocore and for the module's own backoff.
    type: int
    default: 10
"""
