# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one base of strata.deploy's Terraform modules (terraform_apply, terraform_info,
terraform_plan_file, terraform_migrate): the options they share, documented by the doc
fragment ``strata.deploy.terraform``; Terraform run through ``module.run_command`` with the
O(environment) option (no_log); the working copy prepared; one error-to-``fail_json`` mapping.
"""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.strata.deploy.plugins.module_utils.terraform_jobs import start
from ansible_collections.strata.deploy.plugins.module_utils.terraform_runner import Runner, TerraformError

# Every Terraform module's options (doc fragment strata.deploy.terraform).
TERRAFORM_OPTIONS = {
    "project_path": {"type": "path", "required": True},
    "layer": {"type": "str", "required": True},
    "binary_path": {"type": "path", "default": "terraform"},
    "environment": {"type": "dict", "default": {}, "no_log": True},
    "lock_timeout": {"type": "int", "default": 300},
}
# The options of the modules that bring the working copy up to date first (strata.deploy.terraform.working_copy).
WORKING_COPY_OPTIONS = {
    "source_dir": {"type": "path"},
    "modules_dir": {"type": "path"},
    "files": {"type": "dict"},
}
# The data guard's option (strata.deploy.terraform.data_guard).
DATA_GUARD_OPTIONS = {
    "allow_replace": {"type": "list", "elements": "str", "default": []},
}


def run(options, job, working_copy=True, **kwargs):
    """Build the module (``options`` besides TERRAFORM_OPTIONS, and WORKING_COPY_OPTIONS when
    ``working_copy``; check mode is always supported), bring the working copy up to date and
    ``init`` it when needed (``working_copy``; with the module's ``force_init`` if it has one), then
    call ``job(tf, params, check_mode)`` with a Runner of the working copy and exit with the dict
    it returns (plus ``synced`` and ``initialised`` when ``working_copy``). A TerraformError becomes ``fail_json`` with
    its message and details (``locked`` and ``lock`` for a held lock, ``data_loss``, ...)."""
    spec = dict(TERRAFORM_OPTIONS, **(WORKING_COPY_OPTIONS if working_copy else {}), **options)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
    params = module.params

    def execute(argv, cwd):
        # Called from several threads when layers plan side by side: run_command passes cwd and
        # the environment to the child process only, never changing this process's own.
        environ = {str(key): str(value) for key, value in params["environment"].items()}
        return module.run_command(argv, cwd=cwd, environ_update=dict(environ, TF_IN_AUTOMATION="1"))

    tf = Runner(execute, params["binary_path"], params["project_path"], params["layer"], params["lock_timeout"])
    try:
        opened = start(tf, params["files"], params["source_dir"], params["modules_dir"], params.get("force_init", False)) \
            if working_copy else {}
        result = dict(opened, **job(tf, params, module.check_mode))
    except TerraformError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(**result)
