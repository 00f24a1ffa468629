# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The manifest of a strata backup: the per-resource part records it is built from, writing
and reading it, and verification of a backup against it.

Each export writes a part record (``parts/<kind>.<name>.json``, see ``backup_layout``) once its
files are whole; ``write_manifest`` turns the part records of the resources asked for into
``manifest.json``, written last and atomically, so a backup without it is incomplete.

The manifest's table entries also record ``pitr``: the table's point-in-time recovery window
when the backup was taken (``{"earliest", "latest"}``), or null when it is off (or could not
be read; then ``pitr_unknown`` says why).

Verification (``find_damage``, ``verify``) goes on past each damaged file and names all of
them; ``file_problem`` checks one file (one raw read, nothing parsed), which the restores use
to check exactly what they restore from.

Standard library only (and strata.aws's error type).
"""
from __future__ import annotations

import contextlib
import json
import os
import zlib

from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    FORMAT,
    FORMAT_VERSION,
    LEGACY_TABLE_FORMAT,
    MANIFEST,
    PARTS_DIR,
    READABLE_VERSIONS,
    TABLE_FORMATS,
    BackupError,
    line_item,
    read_gzip_lines,
    read_json,
    resolve,
    sha256_file,
    summary,
    table_format,
    utc_now,
    write_json,
)

# --- part records and manifest ------------------------------------------------------------

KINDS = {"dynamodb": "tables", "s3": "buckets"}
SECTION_FIELDS = {
    "tables": {"name", "item_count", "file", "bytes", "sha256"},
    "buckets": {"name", "object_count", "bytes", "index", "index_bytes", "index_sha256"},
}


def _part_path(dest, kind, name):
    return os.path.join(dest, PARTS_DIR, f"{kind}.{name}.json")


def start_part(dest, kind, name, check_mode=False):
    """Prepare ``dest`` for exporting one resource: refuse a finished backup (one with a
    manifest) and drop the resource's earlier part record so that a failed re-export can
    never leave a record pointing at an older file (not in check mode)."""
    if os.path.exists(os.path.join(dest, MANIFEST)):
        raise BackupError(
            f"dest {dest} already holds a finished backup ({MANIFEST}); "
            "backups are written once: choose a new directory",
            dest=dest,
        )
    if not check_mode:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(_part_path(dest, kind, name))


def finish_part(dest, kind, name, entry, source):
    """Record that one resource is completely exported (``entry`` goes into the manifest)."""
    write_json(_part_path(dest, kind, name), {"entry": entry, "source": source})


def _where(relpath, label):
    return f"{relpath} ({label})" if label else relpath


def _check_size(dest, relpath, size, problems, label=None):
    """Whether the file exists with the recorded size; a problem is noted when it does not."""
    try:
        actual = os.path.getsize(resolve(dest, relpath))
    except FileNotFoundError:
        problems.append(f"{_where(relpath, label)}: file is missing")
        return False
    if actual != size:
        problems.append(f"{_where(relpath, label)}: size is {actual} bytes, recorded {size}")
        return False
    return True


def build_manifest(dest, env, tables, buckets, allow_pending=False):
    """The manifest for ``dest`` from the part records of exactly ``tables`` and ``buckets``,
    and the resources still pending.

    Refuses when a resource has no part record, when one of its files (table file, bucket
    index, object file) is missing or has another size, or when the resources come from
    different sources. With ``allow_pending`` (check mode, where the exports wrote nothing)
    resources without a part record are returned as pending instead, and the manifest is
    None while any is.
    """
    if not tables and not buckets:
        raise BackupError("a manifest needs at least one table or bucket; both lists are empty")
    problems = []
    pending = []
    sources = {}
    sections = {"tables": [], "buckets": []}
    for kind, names in (("dynamodb", tables), ("s3", buckets)):
        for name in names:
            path = _part_path(dest, kind, name)
            if not os.path.exists(path):
                if allow_pending:
                    pending.append(f"{KINDS[kind][:-1]} {name}")
                else:
                    problems.append(f"{KINDS[kind][:-1]} {name}: not exported into {dest} ({path} is missing)")
                continue
            part = read_json(path)
            entry = part["entry"]
            if kind == "dynamodb":
                # A part record written before format_version 2 names no table format.
                entry.setdefault("table_format", LEGACY_TABLE_FORMAT)
                _check_size(dest, entry["file"], entry["bytes"], problems)
            elif _check_size(dest, entry["index"], entry["index_bytes"], problems):
                for obj in read_gzip_lines(resolve(dest, entry["index"])):
                    _check_size(dest, obj["file"], obj["size"], problems, f"s3://{name}/{obj['key']}")
            sources[json.dumps(part["source"], sort_keys=True)] = part["source"]
            sections[KINDS[kind]].append(entry)
    if problems:
        raise BackupError(summary("refusing to write the manifest", problems), problems=problems)
    if len(sources) > 1:
        raise BackupError(
            "refusing to write the manifest: the resources were exported from different sources "
            f"{list(sources.values())}; back them up into separate directories",
        )
    if pending:
        return None, pending
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": utc_now(),
        "source": dict(next(iter(sources.values())), env=env),
        **sections,
    }
    return manifest, pending


def write_manifest(dest, env, tables, buckets, check_mode=False):
    """Write ``dest``'s manifest from its part records.

    Returns ``changed``, ``path``, ``manifest`` and ``pending``. A manifest that already
    exists for the same env, tables and buckets is left as it is (changed False); one for
    anything else is refused. In check mode nothing is written, and resources not exported
    yet (the exports wrote nothing either) are listed in ``pending``, the manifest then
    being None.
    """
    path = os.path.join(dest, MANIFEST)
    if os.path.exists(path):
        manifest = load_manifest(dest)
        held = (manifest["source"].get("env"), [t["name"] for t in manifest["tables"]],
                [b["name"] for b in manifest["buckets"]])
        if held != (env, list(tables), list(buckets)):
            raise BackupError(
                f"{path} already exists for env {held[0]!r}, tables {held[1]}, buckets {held[2]}; "
                "a finished backup is never rewritten: choose a new directory"
            )
        return {"changed": False, "path": path, "manifest": manifest, "pending": []}
    manifest, pending = build_manifest(dest, env, tables, buckets, allow_pending=check_mode)
    if not check_mode:
        write_json(path, manifest)
    return {"changed": True, "path": path, "manifest": manifest, "pending": pending}


def load_manifest(src):
    path = os.path.join(src, MANIFEST)
    if not os.path.exists(path):
        raise BackupError(f"{src} has no {MANIFEST}: the backup is incomplete or not a backup")
    try:
        manifest = read_json(path)
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    return check_manifest(manifest, path)


def check_manifest(manifest, path):
    """``manifest`` (parsed JSON) when it is a readable strata backup manifest; ``path`` names
    it in the errors (a file, or an S3 URI for a backup in the vault)."""
    if not isinstance(manifest, dict):
        raise BackupError(f"{path} is not a backup manifest (not a JSON object)")
    found = (manifest.get("format"), manifest.get("format_version"))
    if found[0] != FORMAT or found[1] not in READABLE_VERSIONS:
        raise BackupError(
            f"{path}: format {found[0]!r} version {found[1]!r}, expected {FORMAT!r} version "
            + " or ".join(str(v) for v in READABLE_VERSIONS)
        )
    for section, fields in SECTION_FIELDS.items():
        entries = manifest.get(section)
        if not isinstance(entries, list) or not all(isinstance(e, dict) and fields <= e.keys() for e in entries):
            raise BackupError(f"{path}: {section!r} must be a list of entries with {sorted(fields)}")
    for entry in manifest["tables"]:
        if found[1] >= 2 and "table_format" not in entry:
            raise BackupError(f"{path}: table {entry['name']!r} names no table_format (format_version {found[1]})")
        if table_format(entry) not in TABLE_FORMATS:
            raise BackupError(
                f"{path}: table {entry['name']!r} has table_format {table_format(entry)!r}, "
                f"expected one of {', '.join(TABLE_FORMATS)}"
            )
    return manifest


def select(manifest, section, name, what):
    """The manifest entry of one table or bucket; ``name`` may be omitted when there is one."""
    entries = manifest[section]
    held = ", ".join(entry["name"] for entry in entries) or "none"
    if name is None:
        if len(entries) != 1:
            raise BackupError(f"the backup holds {len(entries)} {section} ({held}); name the {what} to restore")
        return entries[0]
    for entry in entries:
        if entry["name"] == name:
            return entry
    raise BackupError(f"{what} {name!r} is not in the backup; it holds: {held}")


# --- verification -------------------------------------------------------------------------


def file_problem(src, relpath, size, sha256, label=None):
    """What is wrong with one file of the backup in ``src`` compared with its recorded size and
    SHA-256, or None when it matches. One sequential read of the raw bytes; nothing is parsed."""
    where = _where(relpath, label)
    try:
        actual_sha, actual_size = sha256_file(resolve(src, relpath))
    except FileNotFoundError:
        return f"{where}: file is missing"
    except BackupError as exc:
        return exc.msg
    except OSError as exc:
        return f"{where}: unreadable ({exc})"
    if actual_size != size:
        return f"{where}: size is {actual_size} bytes, manifest says {size}"
    if actual_sha != sha256:
        return f"{where}: sha256 is {actual_sha}, manifest says {sha256}"
    return None


def _damage(resource, name, relpath, problem, key=None):
    """One entry of ``find_damage``'s list: which resource (and object) a damaged file holds."""
    return {"resource": resource, "name": name, "key": key, "file": relpath, "problem": problem}


_UNREADABLE = (OSError, EOFError, ValueError, KeyError, TypeError, zlib.error)
"""What reading a damaged gzip JSON-lines file raises (BadGzipFile is an OSError)."""


def _verify_table(src, entry, damaged):
    name, relpath = entry["name"], entry["file"]
    problem = file_problem(src, relpath, entry["bytes"], entry["sha256"])
    if problem is None:
        count = 0
        try:
            for line in read_gzip_lines(resolve(src, relpath)):
                line_item(line, table_format(entry))
                count += 1
        except _UNREADABLE as exc:
            problem = f"{relpath}: unreadable after {count} lines ({exc})"
        else:
            if count != entry["item_count"]:
                problem = f"{relpath}: holds {count} items, manifest says {entry['item_count']}"
    if problem is not None:
        damaged.append(_damage("table", name, relpath, problem))


def _verify_bucket(src, entry, damaged):
    name, index = entry["name"], entry["index"]
    problem = file_problem(src, index, entry["index_bytes"], entry["index_sha256"])
    if problem is not None:
        damaged.append(_damage("bucket", name, index, problem))
        return
    count = total = 0
    try:
        for obj in read_gzip_lines(resolve(src, index)):
            count += 1
            total += obj["size"]
            problem = file_problem(src, obj["file"], obj["size"], obj["sha256"], f"s3://{name}/{obj['key']}")
            if problem is not None:
                damaged.append(_damage("bucket", name, obj["file"], problem, key=obj["key"]))
    except _UNREADABLE as exc:
        damaged.append(_damage("bucket", name, index, f"{index}: unreadable after {count} objects ({exc})"))
        return
    if count != entry["object_count"]:
        problem = f"{index}: lists {count} objects, manifest says {entry['object_count']}"
        damaged.append(_damage("bucket", name, index, problem))
    if total != entry["bytes"]:
        problem = f"{index}: objects total {total} bytes, manifest says {entry['bytes']}"
        damaged.append(_damage("bucket", name, index, problem))


def find_damage(src, tables=None, buckets=None):
    """Re-read every file of the backup in ``src`` and check it against the manifest, going
    on past each damaged file so that all of them are named.

    ``tables`` / ``buckets`` restrict the check to those resources (None: all of them).
    Returns ``(manifest, damaged)``; ``damaged`` holds one entry per problem: ``resource``
    (table or bucket), ``name``, ``key`` (the object's key; None for a table file or a bucket
    index), ``file`` (relative to ``src``) and ``problem``. Only a missing or unreadable
    manifest raises ``BackupError``.
    """
    manifest = load_manifest(src)
    damaged = []
    for entry in manifest["tables"]:
        if tables is None or entry["name"] in tables:
            _verify_table(src, entry, damaged)
    for entry in manifest["buckets"]:
        if buckets is None or entry["name"] in buckets:
            _verify_bucket(src, entry, damaged)
    return manifest, damaged


def verify(src, tables=None, buckets=None):
    """Like ``find_damage``, but raise ``BackupError`` naming every damaged file (details
    ``problems`` and ``damaged``); returns the manifest when nothing is damaged."""
    manifest, damaged = find_damage(src, tables, buckets)
    if damaged:
        problems = [d["problem"] for d in damaged]
        raise BackupError(summary(f"backup {src} failed verification", problems),
                          problems=problems, damaged=damaged)
    return manifest


def verify_live(manifest, count_items, count_objects):
    """Compare the manifest's counts with live ones from ``count_items(table)`` and
    ``count_objects(bucket)``; raises ``BackupError`` naming each resource that differs."""
    problems = []
    live = {"tables": {}, "buckets": {}}
    for section, count, field, noun in (
        ("tables", count_items, "item_count", "items"),
        ("buckets", count_objects, "object_count", "objects"),
    ):
        for entry in manifest[section]:
            actual = live[section][entry["name"]] = count(entry["name"])
            if actual != entry[field]:
                problems.append(
                    f"{section[:-1]} {entry['name']}: live holds {actual} {noun}, "
                    f"backup holds {entry[field]}"
                )
    if problems:
        raise BackupError(summary("backup does not match the live resources", problems),
                          problems=problems, live=live)
    return live
