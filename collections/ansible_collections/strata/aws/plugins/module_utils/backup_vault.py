# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup vault: strata backups kept in an S3 bucket, in the layout they have on disk.

A backup ``<root>/<set>/<name>/<file>`` is ``s3://<vault>/<set>/<name>/<file>`` in the vault
(``set`` is the environment, or ``state-backend``). ``manifest.json`` is uploaded last, so a
backup in the vault without one is incomplete, exactly as on disk; the same selection rules
(``backup_catalog.choose_backup``) choose among the vault's backups.

Every file is uploaded with its SHA-256 as S3's own checksum (``ChecksumSHA256``: S3 refuses
a body that does not match) and verified afterwards by reading back each object's size and
stored checksum (``HeadObject`` with checksum mode). Downloads stream to a temporary file
renamed into place, and the restore then verifies the copy against its manifest as it would
a local backup.
"""
from __future__ import annotations

import base64
import json
import os
import re

from ansible_collections.strata.aws.plugins.module_utils.backup_aws import ClientError, error_code, ordered_map
from ansible_collections.strata.aws.plugins.module_utils.backup_catalog import _entry, _sort_key, choose_backup
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    MANIFEST,
    BackupError,
    atomic_file,
    sha256_file,
    summary,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import check_manifest, load_manifest

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MISSING = ("NoSuchKey", "404", "NotFound")


def vault_uri(bucket, prefix=""):
    return f"s3://{bucket}/{prefix}"


def backup_files(src):
    """The files of the backup in ``src`` as sorted relative paths, ``manifest.json`` last;
    temporary files of an interrupted writer (``.<name>.*.tmp``) are left out."""
    files = []
    for directory, dirs, names in os.walk(src):
        dirs.sort()
        for name in names:
            if name.startswith(".") and name.endswith(".tmp"):
                continue
            files.append(os.path.relpath(os.path.join(directory, name), src).replace(os.sep, "/"))
    if MANIFEST not in files:
        raise BackupError(f"{src} has no {MANIFEST}: only a complete backup goes into the vault")
    files.remove(MANIFEST)
    return sorted(files) + [MANIFEST]


def _b64(hexdigest):
    return base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii")


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


def upload_backup(s3, src, bucket, prefix, concurrency=8, check_mode=False):
    """Upload the complete backup in ``src`` to ``s3://bucket/prefix/``, every file before
    ``manifest.json``, then read back each object's size and checksum and compare them with
    the files. A backup already in the vault with the same manifest is verified, not uploaded
    again; one with another manifest is refused (a backup is written once).

    Returns ``uri``, ``files``, ``bytes``, ``uploaded`` (files sent) and ``changed``.
    """
    prefix = prefix.strip("/")
    files = backup_files(src)
    sums = {rel: sha256_file(os.path.join(src, rel)) for rel in files}
    manifest_key = f"{prefix}/{MANIFEST}"
    held = _head(s3, bucket, manifest_key)
    uploaded = 0
    if held is not None:
        if held.get("ChecksumSHA256") != _b64(sums[MANIFEST][0]):
            raise BackupError(
                f"{vault_uri(bucket, manifest_key)} already holds another backup's manifest; "
                "a backup in the vault is written once: choose a new backup name",
                uri=vault_uri(bucket, prefix + "/"),
            )
    elif not check_mode:
        def put(rel):
            digest, _size = sums[rel]
            with open(os.path.join(src, rel), "rb") as body:
                s3.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=body,
                              ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64(digest))

        # Every file but the manifest in parallel; the manifest only once they are all in.
        list(ordered_map(put, files[:-1], concurrency))
        put(MANIFEST)
        uploaded = len(files)
    problems = []
    if not check_mode:
        heads = ordered_map(lambda r: _head(s3, bucket, f"{prefix}/{r}"), files, concurrency)
        for rel, head in zip(files, heads):
            problem = object_problem(head, vault_uri(bucket, f"{prefix}/{rel}"), sums[rel][1], _b64(sums[rel][0]))
            if problem:
                problems.append(problem)
    if problems:
        raise BackupError(summary(f"the backup in {vault_uri(bucket, prefix + '/')} failed verification", problems),
                          problems=problems)
    return {
        "uri": vault_uri(bucket, prefix + "/"),
        "files": len(files),
        "bytes": sum(size for _digest, size in sums.values()),
        "uploaded": uploaded,
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
    that directory. Each file streams to a temporary name and is renamed once whole."""
    prefix = f"{env}/{name}/"
    target = os.path.join(os.path.abspath(dest), env, name)
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    rels = [k[len(prefix):] for k in keys]
    for rel in rels:
        if not rel or rel.startswith("/") or ".." in rel.split("/"):
            raise BackupError(f"{vault_uri(bucket, prefix + rel)}: a key that is not a file of the backup")

    def get(rel):
        with atomic_file(os.path.join(target, rel)) as out:
            s3.download_fileobj(bucket, prefix + rel, out)

    ordered = sorted(r for r in rels if r != MANIFEST)
    list(ordered_map(get, ordered, concurrency))
    if MANIFEST in rels:
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
