# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup root: the backups of each environment, and choosing one of them.

Backups live in a backup root, one directory per environment and one per backup, named
after the UTC time the backup started::

    <root>/<env>/<YYYYmmddTHHMMSSZ>/manifest.json ...

``find_backup`` picks one of them (the latest complete one, or a named one) for a restore or
for an incremental backup to reuse unchanged objects from; ``choose_backup`` holds its rules,
which the vault in S3 (``backup_vault``) applies too.

Standard library only (and strata.aws's error type).
"""
from __future__ import annotations

import datetime
import os

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import CREATED_AT_FORMAT, MANIFEST, BackupError
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import load_manifest

BACKUP_NAME_FORMAT = "%Y%m%dT%H%M%SZ"
"""Name of a backup directory: the UTC time the backup started (as the backup role names it)."""
PURPOSES = ("restore", "reuse")


def _parse_time(text, fmt):
    try:
        return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def backup_created(name, manifest):
    """When a backup was taken: its manifest's ``created_at``, else its name read as a UTC
    timestamp (``YYYYmmddTHHMMSSZ``), else None."""
    created = manifest.get("created_at") if isinstance(manifest, dict) else None
    return _parse_time(created, CREATED_AT_FORMAT) or _parse_time(name, BACKUP_NAME_FORMAT)


def env_backup_dir(root, env):
    """``<root>/<env>`` (absolute); ``env`` must be a single directory name."""
    if not isinstance(env, str) or not env or env in (".", "..") or "/" in env or "\\" in env or "\0" in env:
        raise BackupError(f"env {env!r}: expected an environment name (one directory name, such as dev)")
    if not root:
        raise BackupError("root: expected the backup root directory, got an empty value")
    return os.path.join(os.path.abspath(root), env)


def _inside(env_dir, candidate):
    """The name of the backup directory ``candidate`` (a path) resolves to when, after every
    symlink is resolved, it is a directory directly inside ``env_dir``; else None."""
    real_env = os.path.realpath(env_dir)
    real = os.path.realpath(candidate)
    if os.path.dirname(real) != real_env:
        return None
    return os.path.basename(real)


def _entry(env_dir, name, manifest):
    created = backup_created(name, manifest)
    return {
        "name": name,
        "created": created.strftime(CREATED_AT_FORMAT) if created else "",
        "path": os.path.join(env_dir, name),
    }


def _sort_key(entry):
    # Newest first: by creation time (unknown times last), then by name.
    return (entry["created"] != "", entry["created"], entry["name"])


def list_backups(root, env):
    """The backups under ``<root>/<env>``: ``(complete, ignored)``.

    ``complete`` holds the complete backups of ``env`` (a directory with a valid manifest
    whose source env is ``env``), newest first by creation time, each as ``{name, created,
    path, manifest}``. ``ignored`` holds ``{name, kind, reason}`` for every other directory
    there, ``kind`` being ``incomplete`` (no manifest), ``invalid`` (unreadable manifest),
    ``foreign`` (a manifest of another env) or ``outside`` (a symlink that leaves
    ``<root>/<env>``). A directory reached through several names is listed once, by its own.
    """
    env_dir = env_backup_dir(root, env)
    complete, ignored, seen = [], [], set()
    try:
        names = sorted(os.listdir(env_dir))
    except (FileNotFoundError, NotADirectoryError):
        return complete, ignored
    for name in names:
        path = os.path.join(env_dir, name)
        if not os.path.isdir(path):
            continue
        real_name = _inside(env_dir, path)
        if real_name is None:
            ignored.append({"name": name, "kind": "outside",
                            "reason": f"resolves to {os.path.realpath(path)}, outside {env_dir}"})
            continue
        if real_name != name:
            continue  # an alias (symlink) of a backup listed under its own name
        if real_name in seen:
            continue
        seen.add(real_name)
        if not os.path.exists(os.path.join(path, MANIFEST)):
            ignored.append({"name": name, "kind": "incomplete", "reason": f"incomplete: no {MANIFEST}"})
            continue
        try:
            manifest = load_manifest(path)
        except (BackupError, OSError) as exc:
            ignored.append({"name": name, "kind": "invalid", "reason": getattr(exc, "msg", str(exc))})
            continue
        held = manifest.get("source", {}).get("env") if isinstance(manifest.get("source"), dict) else None
        if held != env:
            ignored.append({"name": name, "kind": "foreign", "reason": f"its manifest is for env {held!r}, not {env!r}"})
            continue
        complete.append(dict(_entry(env_dir, name, manifest), manifest=manifest))
    complete.sort(key=_sort_key, reverse=True)
    return complete, ignored


def _named_backup(root, env, name):
    """The backup ``name`` (a backup name, or a path relative to ``<root>/<env>`` or absolute)
    as ``(entry, manifest)``; refuses anything that is not a complete backup of ``env``
    directly inside ``<root>/<env>``."""
    env_dir = env_backup_dir(root, env)
    expected = f"expected a backup directory directly inside {env_dir} (a backup name such as 20250101T000000Z, or its path)"
    candidate = name if os.path.isabs(name) else os.path.join(env_dir, name)
    real_name = _inside(env_dir, candidate)
    if real_name is None:
        raise BackupError(
            f"name {name!r} resolves to {os.path.realpath(candidate)}, which is not inside {env_dir}: {expected}",
            name=name,
        )
    path = os.path.join(env_dir, real_name)
    if not os.path.isdir(path):
        raise BackupError(f"name {name!r}: {path} does not exist or is not a directory; {expected}", name=name)
    if not os.path.exists(os.path.join(path, MANIFEST)):
        raise BackupError(
            f"name {name!r}: {path} has no {MANIFEST}, so the backup is incomplete; "
            f"expected a complete backup (one with a {MANIFEST})",
            name=name,
        )
    manifest = load_manifest(path)
    source = manifest.get("source")
    held = source.get("env") if isinstance(source, dict) else None
    if held != env:
        raise BackupError(
            f"name {name!r}: {path} is a backup of env {held!r} (its manifest's source.env), "
            f"expected a backup of env {env!r}; refusing to use another environment's backup",
            name=name,
        )
    return _entry(env_dir, real_name, manifest), manifest


def find_backup(root, env, name=None, purpose="restore"):
    """Choose a complete backup of ``env`` under the backup ``root``.

    With ``name`` (a backup name, or a path that resolves, symlinks included, to a directory
    directly inside ``<root>/<env>``), that backup, which must be complete and of ``env``.
    Without, the latest complete backup of ``env`` by its manifest's creation time (its name,
    a UTC timestamp, when the manifest has none).

    When there is none: ``purpose`` ``restore`` refuses (there is nothing to restore from);
    ``reuse`` (an incremental backup looking for unchanged objects) returns ``dir`` "".

    Returns ``dir`` (absolute path, or ""), ``name``, ``manifest`` ({} when none),
    ``backups`` (the complete backups of ``env``, newest first: name, created, path),
    ``ignored`` (the other directories of ``<root>/<env>`` and why), ``env_dir`` and
    ``resources``: where each table and bucket is best restored from. For a named backup,
    its own; otherwise each table and bucket of any complete backup, from the newest backup
    that holds it (``chosen`` true for those of the chosen backup). After a teardown that
    was interrupted and run again, the second backup holds only what was left: the rest is
    still found in the first.
    """
    if purpose not in PURPOSES:
        raise BackupError(f"purpose {purpose!r}: expected one of {', '.join(PURPOSES)}")
    env_dir = env_backup_dir(root, env)
    complete, ignored = list_backups(root, env)
    named = _named_backup(root, env, name) if name else None
    return choose_backup(env, env_dir, complete, ignored, named, purpose)


def choose_backup(env, env_dir, complete, ignored, named=None, purpose="restore"):
    """The selection rules ``find_backup`` applies, for any source of backups (a backup root
    on disk, or the vault in S3): ``complete`` (newest first, each ``{name, created, path,
    manifest}``), ``ignored``, and ``named``, the ``(entry, manifest)`` of the backup asked for
    by name (None: the latest). ``env_dir`` is where the backups of ``env`` are listed."""
    if purpose not in PURPOSES:
        raise BackupError(f"purpose {purpose!r}: expected one of {', '.join(PURPOSES)}")
    backups = [{k: b[k] for k in ("name", "created", "path")} for b in complete]
    result = {"dir": "", "name": "", "manifest": {}, "backups": backups, "ignored": ignored, "env_dir": env_dir,
              "resources": []}
    if named:
        entry, manifest = named
    elif complete:
        entry, manifest = complete[0], complete[0]["manifest"]
    elif purpose == "reuse":
        return result
    else:
        raise BackupError(
            f"{env_dir} holds no complete backup of env {env!r} (a directory with a {MANIFEST}"
            + (f"; ignored: {'; '.join(s['name'] + ': ' + s['reason'] for s in ignored)}" if ignored else "")
            + "): take a backup first, or name one",
            env_dir=env_dir,
            ignored=ignored,
        )
    newest_first = [entry] if named else complete
    resources, seen = [], set()
    for backup in newest_first:
        held = backup["manifest"] if "manifest" in backup else manifest
        for kind, section in (("table", "tables"), ("bucket", "buckets")):
            for item in held.get(section, []):
                if (kind, item["name"]) not in seen:
                    seen.add((kind, item["name"]))
                    resources.append({"kind": kind, "name": item["name"], "dir": backup["path"],
                                      "backup": backup["name"], "chosen": backup["path"] == entry["path"]})
    return dict(result, dir=entry["path"], name=entry["name"], manifest=manifest, resources=resources)
