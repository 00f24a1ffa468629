# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one base of strata.aws's modules: the options, the AWS client, parameter checks and
one error-to-``fail_json`` mapping, plus the restore modules' shared ``main()``.

Modules that call AWS are built on amazon.aws's ``AnsibleAWSModule``, so they take the same
connection options as every amazon.aws module (region, endpoint_url, profile, access_key,
secret_key, session_token, validate_certs, aws_ca_bundle, aws_config, with the aws_ aliases and
the AWS_* environment fallbacks) and get their clients from ``module.client``. strata adds
``retries`` (documented by doc_fragments/aws_connection.py), which sets botocore's adaptive
retries of every client and the modules' own backoff loops.

Credentials are never logged: ``secret_key`` and ``session_token`` are no_log in
AnsibleAWSModule, and ``access_key`` is made no_log here too, so none of them appears in a
result, a warning or ``invocation`` at any verbosity.

Modules that read local files only (``aws=False``) use a plain ``AnsibleModule`` and take
no AWS option.
"""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.strata.aws.plugins.module_utils import access_denied
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    BotoCoreError,
    ClientError,
    client_config,
    error_code,
    source_identity,
)
from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError

# What strata adds to AnsibleAWSModule's options (documented in doc_fragments/aws_connection.py).
AWS_ARGUMENT_SPEC = {
    "retries": {"type": "int", "default": DEFAULT_RETRIES},
    # AnsibleAWSModule leaves the access key id loggable (it identifies, it does not
    # authenticate); strata keeps every credential out of its output.
    "access_key": {
        "type": "str",
        "aliases": ["aws_access_key_id", "aws_access_key"],
        "fallback": (env_fallback, ["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"]),
        "no_log": True,
    },
}


def build(argument_spec, aws=True, minimums=None, **kwargs):
    """The module object: ``AnsibleAWSModule`` with ``retries`` when ``aws``, else a plain
    ``AnsibleModule``; check mode is always supported. ``minimums`` ({param: lowest value})
    are checked (``retries`` must be at least 0) and fail naming the parameter."""
    if aws:
        spec = dict(argument_spec, **AWS_ARGUMENT_SPEC)
        module = AnsibleAWSModule(argument_spec=spec, supports_check_mode=True, **kwargs)
    else:
        module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **kwargs)
    for name, lowest in dict(minimums or {}, **({"retries": 0} if aws else {})).items():
        value = module.params[name]
        if value is not None and value < lowest:
            module.fail_json(msg=f"parameter {name} must be at least {lowest}, got {value}")
    return module


def run(argument_spec, action, aws=True, minimums=None, **kwargs):
    """Build the module (see ``build``), call ``action(module)`` and exit with the dict it
    returns; every known error becomes a ``fail_json``:

    - ``StrataAWSError`` (BackupError, SeedError): its message, its details as result keys;
    - botocore ``ClientError``: "AWS request failed: ..." with ``error_code`` (and, from
      ``fail_json_aws``, the parsed ``error`` and ``response_metadata``);
    - a refusal by IAM (AccessDenied, AccessDeniedException, UnauthorizedOperation), raised as
      either of those: the sentence of ``access_denied.message`` (the action, the resource,
      the policy file of strata that grants it, the next step) before AWS's own words, and the
      refusal as ``access_denied`` (``action``, ``resource``, ``policy``, ...);
    - ``BotoCoreError``: "AWS connection failed: ...";
    - ``OSError``: "file operation failed: ...".
    """
    module = build(argument_spec, aws=aws, minimums=minimums, **kwargs)
    try:
        result = action(module)
    except StrataAWSError as exc:
        refusal = access_denied.parse(exc.msg)
        if refusal:
            module.fail_json(msg=f"{access_denied.message(refusal)} ({exc.msg})", **_refused(refusal), **exc.details)
        module.fail_json(msg=exc.msg, **exc.details)
    except ClientError as exc:
        refusal = access_denied.parse(str(exc), code=error_code(exc), operation=getattr(exc, "operation_name", None))
        if refusal:
            module.fail_json_aws(exc, msg=f"{access_denied.message(refusal)} AWS said", error_code=error_code(exc),
                                 **_refused(refusal))
        module.fail_json_aws(exc, msg="AWS request failed", error_code=error_code(exc))
    except BotoCoreError as exc:
        module.fail_json_aws(exc, msg="AWS connection failed")
    except OSError as exc:
        module.fail_json(msg=f"file operation failed: {exc}")
    module.exit_json(**result)


def _refused(refusal):
    """The ``access_denied`` key of a refused call's result: the refusal and its policy files."""
    return {"access_denied": dict(refusal, policy=access_denied.policy_for(refusal["action"] or refusal["operation"]))}


def client(module, service, pool_size=10):
    """A client for ``service`` from the module's connection options, with strata's retry and
    pool policy (``backup_aws.client_config``) under the user's O(aws_config)."""
    return module.client(service, config=client_config(module.params["retries"], pool_size))


def source(module, any_client):
    """Where a backup taken through ``any_client`` comes from (account, region, endpoint)."""
    return source_identity(
        any_client, module.params["endpoint_url"], module.params["retries"], sts=client(module, "sts")
    )


def run_restore(service, restore_resource, resource, written, concurrency, other_sources=None, options=None,
                s3_sources=False):
    """``main()`` of a restore module: its options (``src``, ``source_<resource>``, ``<resource>``,
    ``mode``, ``concurrency`` defaulting to ``concurrency``, and the AWS ones), then the restore.

    ``restore_resource(client, src, source, target, mode=, concurrency=, retries=, check_mode=)``
    restores one ``resource`` (``table`` or ``bucket``) of the backup and returns counts; the
    module reports a change when the count named ``written`` is above 0. A restore that fails
    after writing part of the resource (a damaged object among good ones) raises its error
    with the counts as details: the failed result carries them, and ``changed`` too.

    ``other_sources`` ({option: spec}) are sources to restore from instead of ``src`` (such as
    ``aws_export``): exactly one of ``src`` and them is required, and each is passed on to
    ``restore_resource`` as a keyword argument. ``options`` ({option: spec}) are further options
    of the module, passed on the same way.

    With ``s3_sources``, a source may be an ``s3://`` URI (a backup in the vault, an export in
    S3), read with an S3 client passed on as ``s3`` (None when no source is in S3).
    """
    source_option = f"source_{resource}"
    other_sources = other_sources or {}
    options = options or {}
    sources = ["src", *other_sources]

    def restore(module):
        params = module.params
        extra = {}
        if s3_sources:
            in_s3 = any(str(params[option] or "").startswith("s3://") for option in sources)
            extra["s3"] = client(module, "s3", pool_size=params["concurrency"]) if in_s3 else None
        try:
            result = restore_resource(
                client(module, service, pool_size=params["concurrency"]),
                params["src"],
                params[source_option],
                params[resource],
                mode=params["mode"],
                concurrency=params["concurrency"],
                retries=params["retries"],
                check_mode=module.check_mode,
                **{option: params[option] for option in (*other_sources, *options)},
                **extra,
            )
        except StrataAWSError as exc:
            if written in exc.details:
                exc.details["changed"] = exc.details[written] > 0
            raise
        return dict(result, changed=result[written] > 0)

    run(
        {
            "src": {"type": "path", "required": not other_sources},
            **other_sources,
            source_option: {"type": "str"},
            resource: {"type": "str"},
            "mode": {"type": "str", "choices": ["missing", "overwrite"], "default": "missing"},
            "concurrency": {"type": "int", "default": concurrency},
            **options,
        },
        restore,
        minimums={"concurrency": 1},
        **({"required_one_of": [sources], "mutually_exclusive": [sources]} if other_sources else {}),
    )
