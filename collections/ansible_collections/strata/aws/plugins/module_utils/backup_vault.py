# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup vault: strata backups kept in an S3 bucket, in the layout they have on disk.

A backup ``<root>/<set>/<name>/<file>`` is ``s3://<vault>/<set>/<name>/<file>`` in the vault
(``set`` is the environment, or ``state-backend``). ``manifest.json`` is uploaded last, so a
backup in the vault without one is incomplete, exactly as on disk; the same selection rules
(``backup_catalog.choose_backup``) choose among the vault's backups.

Every file is uploaded with its SHA-256 as S3's own checksum (``ChecksumSHA256``: S3 refuses
a body that does not match); a file past a threshold goes in parts, each with its own SHA-256
(``s3_transfer.upload_file``), so no file is too large. Each is verified as soon as it is in
by reading back the object's size and stored checksum (``HeadObject`` with checksum mode;
for a file sent in parts, the composite checksum its parts make). The files are walked one
directory at a time, never listed whole, so memory stays flat however many objects a backup
holds. Downloads stream to a temporary file renamed into place, and the restore then
verifies the copy against its manifest as it would a local backup; a restore can also read a
backup where it is in the vault (``backup_store.VaultStore``) without downloading it.
"""
from __future__ import annotations

import json
import os
import re

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import ClientError, error_code, ordered_map
from ansible_collections.strata.aws.plugins.module_utils.backup_catalog import _entry, _sort_key, choose_backup
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    MANIFEST,
    BackupError,
    atomic_file,
    summary,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import check_manifest, load_manifest
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import (
    PART_SIZE,
    UPLOAD_THRESHOLD,
    checksum_matches,
    upload_file,
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MISSING = ("NoSuchKey", "404", "NotFound")


def vault_uri(bucket, prefix=""):
    return f"s3://{bucket}/{prefix}"


def iter_backup_files(src):
    """The files of the backup in ``src`` but ``manifest.json``, as relative paths, one
    directory at a time (sorted within it); temporary files of an interrupted writer
    (``.<name>.*.tmp``) are left out. Refuses a backup without a manifest."""
    if not os.path.isfile(os.path.join(src, MANIFEST)):
        raise BackupError(f"{src} has no {MANIFEST}: only a complete backup goes into the vault")
    for directory, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            if name.startswith(".") and name.endswith(".tmp"):
                continue
            relpath = os.path.relpath(os.path.join(directory, name), src).replace(os.sep, "/")
            if relpath != MANIFEST:
                yield relpath


def backup_files(src):
    """The files of the backup in ``src`` as sorted relative paths, ``manifest.json`` last."""
    return sorted(iter_backup_files(src)) + [MANIFEST]


def _head(s3, bucket, key):
    try:
        return s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as exc:
        if error_code(exc) in _MISSING:
            return None
        raise


def object_problem(head, where, size, checksum):
    """What differs between an object as S3 reports it (``head``: a HeadObject answer with
    checksum mode) and the file it was uploaded from (``size``, base64 SHA-256), or None."""
    if head is None:
        return f"{where}: missing from the vault"
    if head.get("ContentLength") != size:
        return f"{where}: {head.get('ContentLength')} bytes in the vault, {size} on disk"
    if head.get("ChecksumSHA256") != checksum:
        return f"{where}: SHA-256 {head.get('ChecksumSHA256') or 'not recorded'} in the vault, {checksum} on disk"
    return None


def upload_backup(s3, src, bucket, prefix, concurrency=8, check_mode=False, threshold=UPLOAD_THRESHOLD,
                  part_size=PART_SIZE):
    """Upload the complete backup in ``src`` to ``s3://bucket/prefix/``, every file before
    ``manifest.json``, each read back (size and checksum) as soon as it is in; the manifest
    goes only when every other file checked out. A file of ``threshold`` bytes or more goes
    in parts of ``part_size`` (``s3_transfer.upload_file``). A backup already in the vault
    with the same manifest is verified, not uploaded again; one with another manifest is
    refused (a backup is written once).

    Returns ``uri``, ``files``, ``bytes``, ``uploaded`` (files sent) and ``changed``.
    """
    prefix = prefix.strip("/")
    files = iter_backup_files(src)  # refuses an incomplete backup before anything is sent
    manifest_key = f"{prefix}/{MANIFEST}"
    held = _head(s3, bucket, manifest_key)
    if held is not None and not checksum_matches(os.path.join(src, MANIFEST), held.get("ChecksumSHA256"), part_size):
        raise BackupError(
            f"{vault_uri(bucket, manifest_key)} already holds another backup's manifest; "
            "a backup in the vault is written once: choose a new backup name",
            uri=vault_uri(bucket, prefix + "/"),
        )
    sending = held is None and not check_mode

    def send(rel):
        """Upload one file (unless the vault holds the backup) and read it back: (size, problem)."""
        path, key = os.path.join(src, rel), f"{prefix}/{rel}"
        size = os.path.getsize(path)
        if sending:
            expected = upload_file(s3, path, bucket, key, threshold, part_size)["checksum"]
        elif check_mode:
            return size, None
        head = _head(s3, bucket, key)
        if sending or head is None or head.get("ContentLength") != size:
            return size, object_problem(head, vault_uri(bucket, key), size, expected if sending else None)
        if checksum_matches(path, head.get("ChecksumSHA256"), part_size):
            return size, None
        return size, (f"{vault_uri(bucket, key)}: SHA-256 {head.get('ChecksumSHA256') or 'not recorded'} in the vault "
                      f"is not that of {rel} on disk")

    counts = {"files": 0, "bytes": 0}
    problems = []
    for size, problem in ordered_map(send, files, concurrency):
        counts["files"] += 1
        counts["bytes"] += size
        if problem:
            problems.append(problem)
    if problems:
        raise BackupError(summary(f"the backup in {vault_uri(bucket, prefix + '/')} failed verification"
                                  + (f"; {MANIFEST} was not uploaded" if sending else ""), problems),
                          problems=problems)
    size, problem = send(MANIFEST)
    counts["files"] += 1
    counts["bytes"] += size
    if problem:
        raise BackupError(summary(f"the backup in {vault_uri(bucket, prefix + '/')} failed verification", [problem]),
                          problems=[problem])
    return {
        "uri": vault_uri(bucket, prefix + "/"),
        "files": counts["files"],
        "bytes": counts["bytes"],
        "uploaded": counts["files"] if sending else 0,
        "changed": held is None,
    }


def _manifest_of(s3, bucket, key):
    """The parsed manifest at ``key``, or None when there is none."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if error_code(exc) in _MISSING:
            return None
        raise
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BackupError(f"{vault_uri(bucket, key)} is not valid JSON: {exc}") from exc
    return check_manifest(data, vault_uri(bucket, key))


def list_vault_backups(s3, bucket, env):
    """The backups of ``env`` in the vault, as ``backup_catalog.list_backups`` lists those on
    disk: ``(complete, ignored)``, complete ones newest first with ``path`` their S3 URI."""
    env_dir = vault_uri(bucket, env)
    names = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{env}/", Delimiter="/"):
        names += [p["Prefix"][len(env) + 1:].rstrip("/") for p in page.get("CommonPrefixes", [])]
    complete, ignored = [], []
    for name in sorted(names):
        try:
            manifest = _manifest_of(s3, bucket, f"{env}/{name}/{MANIFEST}")
        except BackupError as exc:
            ignored.append({"name": name, "kind": "invalid", "reason": exc.msg})
            continue
        if manifest is None:
            ignored.append({"name": name, "kind": "incomplete", "reason": f"incomplete: no {MANIFEST}"})
            continue
        held = manifest.get("source", {}).get("env") if isinstance(manifest.get("source"), dict) else None
        if held != env:
            ignored.append({"name": name, "kind": "foreign", "reason": f"its manifest is for env {held!r}, not {env!r}"})
            continue
        entry = _entry(env_dir, name, manifest)
        entry["path"] = f"{env_dir}/{name}"
        complete.append(dict(entry, manifest=manifest))
    complete.sort(key=_sort_key, reverse=True)
    return complete, ignored


def find_vault_backup(s3, bucket, env, name=None, purpose="restore"):
    """``backup_catalog.find_backup`` for the vault: the same rules on the backups of ``env``
    in ``s3://bucket/env/``. A ``name`` is a backup's name, nothing else."""
    if not isinstance(env, str) or not _NAME.match(env):
        raise BackupError(f"env {env!r}: expected an environment name (one directory name, such as dev)")
    env_dir = vault_uri(bucket, env)
    complete, ignored = list_vault_backups(s3, bucket, env)
    named = None
    if name:
        expected = f"expected the name of a backup directly inside {env_dir}/ (such as 20250101T000000Z)"
        if not _NAME.match(name):
            raise BackupError(f"name {name!r} is not inside {env_dir}/: {expected}", name=name)
        found = [b for b in complete if b["name"] == name]
        if not found:
            why = next((i["reason"] for i in ignored if i["name"] == name), "no such backup")
            raise BackupError(f"name {name!r}: {env_dir}/{name}/ is not a complete backup of env {env!r} ({why}); {expected}",
                              name=name)
        named = (found[0], found[0]["manifest"])
    result = choose_backup(env, env_dir, complete, ignored, named, purpose)
    result["backups"] = [{k: b[k] for k in ("name", "created", "path")} for b in complete]
    return result


def download_backup(s3, bucket, env, name, dest, concurrency=8):
    """Download ``s3://bucket/env/name/`` into ``dest/env/name/`` (manifest last) and return
    that directory. Each file streams to a temporary name and is renamed once whole; the keys
    are read page by page as they are downloaded, never listed whole."""
    prefix = f"{env}/{name}/"
    target = os.path.join(os.path.abspath(dest), env, name)
    found = {"manifest": False}

    def files():
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(prefix):]
                if not rel or rel.startswith("/") or ".." in rel.split("/"):
                    raise BackupError(f"{vault_uri(bucket, prefix + rel)}: a key that is not a file of the backup")
                if rel == MANIFEST:
                    found["manifest"] = True
                else:
                    yield rel

    def get(rel):
        with atomic_file(os.path.join(target, rel)) as out:
            s3.download_fileobj(bucket, prefix + rel, out)

    for _done in ordered_map(get, files(), concurrency):
        pass
    if found["manifest"]:
        get(MANIFEST)
    load_manifest(target)
    return target


def fetch_backups(s3, bucket, found, dest, concurrency=8):
    """Download every backup ``found`` (a ``find_vault_backup`` result) uses into ``dest`` and
    return ``found`` with its paths (``dir``, ``resources[].dir``, ``env_dir``) pointing at the
    local copies; ``vault_dir`` keeps the chosen backup's S3 URI."""
    env = found["env_dir"].rsplit("/", 1)[1]
    local = {}
    for resource in found["resources"]:
        if resource["backup"] not in local:
            local[resource["backup"]] = download_backup(s3, bucket, env, resource["backup"], dest, concurrency)
        resource["dir"] = local[resource["backup"]]
    if found["name"] not in local:
        local[found["name"]] = download_backup(s3, bucket, env, found["name"], dest, concurrency)
    return dict(found, vault_dir=found["dir"], dir=local[found["name"]],
                env_dir=os.path.join(os.path.abspath(dest), env), downloaded=sorted(local))
