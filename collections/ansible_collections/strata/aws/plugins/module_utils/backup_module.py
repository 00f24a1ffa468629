"""The Ansible side shared by strata's backup modules: the AWS connection options, the
client built from them, parameter checks, and one error-to-``fail_json`` mapping."""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    BOTO3_IMPORT_ERROR,
    DEFAULT_RETRIES,
    BotoCoreError,
    ClientError,
    aws_client,
    error_code,
    source_identity,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_format import BackupError

AWS_ARGUMENT_SPEC = {
    "region": {"type": "str", "aliases": ["aws_region"]},
    "endpoint_url": {"type": "str", "aliases": ["aws_endpoint_url"]},
    "retries": {"type": "int", "default": DEFAULT_RETRIES},
}


def run(argument_spec, action, aws=True, minimums=None):
    """Build the module, check ``minimums`` ({param: lowest value}), call ``action(module)``
    and exit with the dict it returns; every known error becomes a ``fail_json``."""
    spec = dict(argument_spec, **(AWS_ARGUMENT_SPEC if aws else {}))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if aws and BOTO3_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("boto3"), exception=str(BOTO3_IMPORT_ERROR))
    for name, lowest in dict(minimums or {}, **({"retries": 0} if aws else {})).items():
        value = module.params[name]
        if value is not None and value < lowest:
            module.fail_json(msg=f"parameter {name} must be at least {lowest}, got {value}")
    try:
        result = action(module)
    except BackupError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    except ClientError as exc:
        module.fail_json(msg=f"AWS request failed: {exc}", error_code=error_code(exc))
    except BotoCoreError as exc:
        module.fail_json(msg=f"AWS connection failed: {exc}")
    except OSError as exc:
        module.fail_json(msg=f"file operation failed: {exc}")
    module.exit_json(**result)


def client(module, service, pool_size=10):
    """A client for ``service`` from the module's region / endpoint_url / retries."""
    params = module.params
    return aws_client(service, params["region"], params["endpoint_url"], params["retries"], pool_size)


def source(module, any_client):
    """Where a backup taken through ``any_client`` comes from (account, region, endpoint)."""
    return source_identity(any_client, module.params["endpoint_url"], module.params["retries"])
