"""The Ansible side shared by strata's backup modules: the AWS connection options, the
client built from them, parameter checks, one error-to-``fail_json`` mapping, and the
restore modules' ``main()``."""
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

# Documented by doc_fragments/aws_connection.py (DOCUMENTATION and BACKUP).
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


def run_restore(service, restore_resource, resource, written, concurrency):
    """``main()`` of a restore module: its options (``src``, ``source_<resource>``, ``<resource>``,
    ``mode``, ``concurrency`` defaulting to ``concurrency``, and the AWS ones), then the restore.

    ``restore_resource(client, src, source, target, mode=, concurrency=, retries=, check_mode=)``
    restores one ``resource`` (``table`` or ``bucket``) of the backup and returns counts; the
    module reports a change when the count named ``written`` is above 0.
    """
    source_option = f"source_{resource}"

    def restore(module):
        params = module.params
        result = restore_resource(
            client(module, service, pool_size=params["concurrency"]),
            params["src"],
            params[source_option],
            params[resource],
            mode=params["mode"],
            concurrency=params["concurrency"],
            retries=params["retries"],
            check_mode=module.check_mode,
        )
        return dict(result, changed=result[written] > 0)

    run(
        {
            "src": {"type": "path", "required": True},
            source_option: {"type": "str"},
            resource: {"type": "str"},
            "mode": {"type": "str", "choices": ["missing", "overwrite"], "default": "missing"},
            "concurrency": {"type": "int", "default": concurrency},
        },
        restore,
        minimums={"concurrency": 1},
    )
