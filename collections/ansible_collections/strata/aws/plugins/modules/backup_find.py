#!/usr/bin/python
# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: choose a complete strata backup of an environment in the backup root."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: backup_find
short_description: Choose a complete strata backup of an environment
description:
  - Looks in C(<root>/<env>) for the backups of O(env) (one directory per backup, named after
    the UTC time it started, for example C(20250101T000000Z)) and chooses one.
  - A backup is complete when it holds a valid C(manifest.json) whose source environment is
    O(env). A directory without one is incomplete and never chosen.
  - Without O(name), chooses the latest complete backup by its manifest's creation time
    (C(created_at)); a manifest without one is dated by the directory's name. Modification
    times are never used.
  - With O(name), chooses that backup. It must resolve, after every symlink is resolved, to a
    directory directly inside C(<root>/<env>); an absolute path elsewhere or a C(..) that
    leaves it is refused, and so is a backup that is incomplete or whose manifest belongs to
    another environment.
  - With O(vault), the same rules choose among the backups of O(env) in the backup vault,
    C(s3://<vault>/<env>/<name>/). A backup there is complete when its C(manifest.json) is (it
    is uploaded last); a O(name) must be a backup's name. With O(download_to), every backup the
    chosen resources come from is downloaded into C(<download_to>/<env>/<name>/) and the paths
    returned are those of the copies, ready for M(strata.aws.backup_verify) and the restores.
  - Without O(vault), makes no AWS request; it never changes anything in AWS.
version_added: 0.2.0
author: strata maintainers (@strata-deploy)
options:
  root:
    description: The backup root, which holds one directory per environment.
    type: path
    required: true
  env:
    description: The environment, a single directory name such as C(dev).
    type: str
    required: true
  name:
    description:
      - A backup to choose instead of the latest, as its name (C(20250101T000000Z)), as a path
        relative to C(<root>/<env>), or as an absolute path inside C(<root>/<env>).
      - Empty or unset chooses the latest complete backup.
    type: str
  purpose:
    description:
      - What the backup is for. With V(restore), finding no complete backup is an error.
      - With V(reuse) (an incremental backup reusing the unchanged objects of the last one),
        finding none is not an error; RV(dir) is then empty.
    type: str
    choices: [restore, reuse]
    default: restore
  vault:
    description:
      - The backup vault's bucket; the backups are then listed and read there instead of under O(root).
    type: str
  download_to:
    description:
      - With O(vault), a local directory to download the chosen backups into (for a restore).
    type: path
seealso:
  - module: strata.aws.backup_verify
  - module: strata.aws.dynamodb_restore
  - module: strata.aws.s3_restore
  - module: strata.aws.s3_backup
notes:
  - Supports check mode, where it does the same.
  - Directories of C(<root>/<env>) that are not complete backups of O(env) are listed in
    RV(ignored) with the reason; a foreign backup among them is also warned about.
extends_documentation_fragment:
  - strata.aws.attributes
  - strata.aws.attributes.platform
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - strata.aws.aws_connection
"""

EXAMPLES = r"""
- name: Choose the latest complete backup of dev to restore
  strata.aws.backup_find:
    root: backups
    env: dev
  register: chosen

- name: Choose a named backup (fails unless it is a complete backup of dev inside backups/dev)
  strata.aws.backup_find:
    root: backups
    env: dev
    name: 20250101T000000Z

- name: Choose the latest complete backup of dev in the vault and download what it needs
  strata.aws.backup_find:
    root: backups
    env: dev
    vault: strata-backups-123456789012
    download_to: /tmp/strata-restore
  register: chosen

- name: Find the last backup to reuse unchanged objects from, if any
  strata.aws.backup_find:
    root: backups
    env: dev
    purpose: reuse
  register: previous

- name: Copy the site bucket, reusing what that backup holds
  strata.aws.s3_backup:
    bucket: strata-site-dev
    dest: "backups/dev/{{ backup_timestamp }}"
    previous: "{{ previous.dir | default(omit, true) }}"
"""

RETURN = r"""
dir:
  description: Absolute path of the chosen backup; empty when none was found (O(purpose=reuse) only).
  returned: always
  type: str
  sample: /srv/strata/backups/dev/20250101T000000Z
name:
  description: Name of the chosen backup (its directory's name); empty when none was found.
  returned: always
  type: str
  sample: 20250101T000000Z
manifest:
  description:
    - The chosen backup's manifest, parsed; empty when none was found.
    - The manifest M(strata.aws.backup_manifest) wrote, described in its RV(strata.aws.backup_manifest#module:manifest).
  returned: always
  type: dict
  sample: {format: strata-backup, format_version: 2, created_at: "2025-01-01T00:00:00Z",
           source: {account: "123456789012", region: us-east-1, endpoint_url: null, env: dev},
           tables: [{name: strata-visits-dev, item_count: 3, file: dynamodb/strata-visits-dev.jsonl.gz, bytes: 120,
                     sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,
                     table_format: dynamodb_json_item, pitr: null}],
           buckets: []}
backups:
  description: The complete backups of O(env), newest first.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The backup's directory name.
      type: str
    created:
      description: Its creation time (UTC, C(YYYY-mm-ddTHH:MM:SSZ)); empty when unknown.
      type: str
    path:
      description: Its absolute path.
      type: str
  sample:
    - {name: 20250102T000000Z, created: "2025-01-02T00:00:00Z", path: /srv/strata/backups/dev/20250102T000000Z}
    - {name: 20250101T000000Z, created: "2025-01-01T00:00:00Z", path: /srv/strata/backups/dev/20250101T000000Z}
ignored:
  description: The other directories of C(<root>/<env>), each with why it is not a complete backup of O(env).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The directory's name.
      type: str
    kind:
      description:
        - V(incomplete) (no C(manifest.json)), V(invalid) (a manifest that cannot be read),
          V(foreign) (a manifest of another environment) or V(outside) (a symlink leaving C(<root>/<env>)).
      type: str
    reason:
      description: Why, in words.
      type: str
  sample: [{name: 20250103T000000Z, kind: incomplete, reason: "incomplete: no manifest.json"}]
resources:
  description:
    - Where each table and bucket is best restored from. For a named backup, its own tables and
      buckets. Otherwise every table and bucket of any complete backup of O(env), each from the
      newest backup that holds it, so that after a teardown interrupted and run again (whose
      second backup holds only what was left) nothing is missed.
    - Each has C(kind) (V(table) or V(bucket)), C(name), C(dir), C(backup) (its name) and
      C(chosen) (whether it comes from RV(dir)).
  returned: always
  type: list
  elements: dict
vault_dir:
  description: With O(vault), the S3 URI of the chosen backup in the vault.
  returned: when vault is set
  type: str
  sample: s3://strata-backups-123456789012/dev/20250101T000000Z
downloaded:
  description: With O(vault) and O(download_to), the names of the backups downloaded.
  returned: when vault and download_to are set
  type: list
  elements: str
  sample: [20250101T000000Z]
env_dir:
  description: Absolute path of C(<root>/<env>) (with O(vault), C(s3://<vault>/<env>), or its local copy with O(download_to)).
  returned: always
  type: str
  sample: /srv/strata/backups/dev
"""

from ansible_collections.strata.aws.plugins.module_utils.aws_module import client, run
from ansible_collections.strata.aws.plugins.module_utils.backup_catalog import PURPOSES, find_backup
from ansible_collections.strata.aws.plugins.module_utils.backup_vault import fetch_backups, find_vault_backup


def choose(module):
    params = module.params
    if params["vault"]:
        s3 = client(module, "s3")
        result = find_vault_backup(s3, params["vault"], params["env"], params["name"], params["purpose"])
        if params["download_to"] and result["dir"]:
            result = fetch_backups(s3, params["vault"], result, params["download_to"])
    else:
        result = find_backup(params["root"], params["env"], params["name"], params["purpose"])
    for ignored in result["ignored"]:
        if ignored["kind"] == "foreign":
            module.warn(f"{result['env_dir']}/{ignored['name']} is not used: {ignored['reason']}")
    return dict(result, changed=False)


def main():
    run(
        {
            "root": {"type": "path", "required": True},
            "env": {"type": "str", "required": True},
            "name": {"type": "str"},
            "purpose": {"type": "str", "choices": list(PURPOSES), "default": "restore"},
            "vault": {"type": "str"},
            "download_to": {"type": "path"},
        },
        choose,
    )


if __name__ == "__main__":
    main()
