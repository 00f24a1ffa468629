# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The on-disk format of a strata backup, in one place: layout, atomic writes, per-resource
part records, the manifest, and verification of a backup against its manifest.

A backup is a directory::

    dynamodb/<table>.jsonl.gz     one item per line, gzipped, in the table format its manifest
                                  entry names (``table_format``):
                                  ``dynamodb_json_item`` (format_version 2, written now):
                                    {"Item": {"pk": {"S": "a"}, "b": {"B": "<base64>"}, ...}}
                                    exactly the line ExportTableToPointInTime writes with
                                    ExportFormat DYNAMODB_JSON, so ImportTable (InputFormat
                                    DYNAMODB_JSON, InputCompressionType GZIP) reads the file;
                                  ``strata_typed_json`` (format_version 1 backups):
                                    {"pk": {"S": "a"}, "b": {"B": "<base64>"}, ...}
                                  Both are DynamoDB JSON: S, N (text), B (base64), SS, NS,
                                  BS (base64), M, L, BOOL, NULL.
    s3/<bucket>/index.jsonl.gz    one object per line: key, file, size, sha256, md5, etag,
                                  last_modified, fetched_at, content_type, metadata and the
                                  other headers restored with it
    s3/<bucket>/objects/xx/<h>    the object's bytes; <h> is the SHA-256 of its key, because
                                  S3 keys are not file paths (a key can be both an object and
                                  the prefix of others, contain "..", or exceed name limits)
    parts/<kind>.<name>.json      completion record of one exported resource
    manifest.json                 written last and atomically from the part records

A backup without ``manifest.json`` is incomplete. Every file is written under a temporary
name and renamed into place once whole, so an interrupted writer leaves no finished file.

Backups live in a backup root, one directory per environment and one per backup, named
after the UTC time the backup started::

    <root>/<env>/<YYYYmmddTHHMMSSZ>/manifest.json ...

``find_backup`` picks one of them (the latest complete one, or a named one) for a restore or
for an incremental backup to reuse unchanged objects from.

The manifest's table entries also record ``pitr``: the table's point-in-time recovery window
when the backup was taken (``{"earliest", "latest"}``), or null when it is off (or could not
be read; then ``pitr_unknown`` says why).

An AWS export directory (what ExportTableToPointInTime writes to S3, downloaded) is read here
too (``load_aws_export``, ``verify_aws_export``), so that a restore can take one as its source::

    [<dir>/][AWSDynamoDB/]<export-id>/manifest-summary.json   itemCount, tableArn, exportTime, ...
                                      manifest-files.json     JSON lines: dataFileS3Key,
                                                              itemCount, md5Checksum, etag
                                      data/<name>.json.gz     {"Item": ...} lines, gzipped

Verification (``find_damage``, ``verify``) goes on past each damaged file and names all of
them; ``file_problem`` checks one file (one raw read, nothing parsed), which the restores use
to check exactly what they restore from.

Standard library only (and strata.aws's error type).
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import gzip
import hashlib
import json
import os
import tempfile
import zlib

from ansible_collections.strata.aws.plugins.module_utils.errors import StrataAWSError

BACKUP_NAME_FORMAT = "%Y%m%dT%H%M%SZ"
"""Name of a backup directory: the UTC time the backup started (as the backup role names it)."""
CREATED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""``created_at`` of a manifest."""
PURPOSES = ("restore", "reuse")
FORMAT = "strata-backup"
FORMAT_VERSION = 2
"""Version written. 2: table files hold ``{"Item": ...}`` lines (``table_format`` per table)."""
READABLE_VERSIONS = (1, 2)
"""Versions read: every strata backup ever written keeps restoring."""
TABLE_FORMAT = "dynamodb_json_item"
"""Table file lines as AWS's DynamoDB JSON export writes them: ``{"Item": {<typed item>}}``."""
LEGACY_TABLE_FORMAT = "strata_typed_json"
"""Table file lines of format_version 1 backups: the typed item itself, ``{<typed item>}``."""
TABLE_FORMATS = (TABLE_FORMAT, LEGACY_TABLE_FORMAT)
MANIFEST = "manifest.json"
PARTS_DIR = "parts"
CHUNK = 1024 * 1024
_MAX_REPORTED_PROBLEMS = 20


class BackupError(StrataAWSError):
    """A backup, manifest or restore precondition is not met; ``details`` go to the caller."""


# --- layout -------------------------------------------------------------------------------


def table_file(table):
    return f"dynamodb/{table}.jsonl.gz"


def bucket_index(bucket):
    return f"s3/{bucket}/index.jsonl.gz"


def object_file(bucket, key):
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"s3/{bucket}/objects/{digest[:2]}/{digest}"


def resolve(backup_dir, relpath):
    """Absolute path of ``relpath`` inside ``backup_dir``; refuses paths that leave it."""
    root = os.path.realpath(backup_dir)
    path = os.path.realpath(os.path.join(root, relpath))
    if os.path.commonpath([root, path]) != root:
        raise BackupError(f"path {relpath!r} in the backup points outside {backup_dir}")
    return path


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(CREATED_AT_FORMAT)


# --- files --------------------------------------------------------------------------------


class HashingWriter:
    """A write-only file object that hashes (SHA-256) and counts what passes through it."""

    def __init__(self, raw):
        self._raw = raw
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self._sha.update(data)
        self.size += len(data)
        return self._raw.write(data)

    def flush(self):
        self._raw.flush()

    def hexdigest(self):
        return self._sha.hexdigest()


@contextlib.contextmanager
def atomic_file(path):
    """Yield a ``HashingWriter`` on a temporary sibling of ``path``, renamed to ``path`` only
    when the block completes; on any error the temporary file is removed.

    Files are created private (mode 0600): backups hold the data of the stack.
    """
    directory, name = os.path.split(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as raw:
            out = HashingWriter(raw)
            yield out
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def gzip_stream(out):
    """A gzip writer on ``out`` with reproducible headers (no name, no timestamp)."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0)


def write_json(path, data):
    with atomic_file(path) as out:
        out.write(json.dumps(data, indent=2, sort_keys=True).encode("utf-8") + b"\n")


def read_json(path):
    with open(path, "rb") as handle:
        return json.load(handle)


def read_gzip_lines(path):
    """Yield each line of a gzip JSON-lines file, decoded."""
    with gzip.open(path, "rb") as handle:
        for line in handle:
            yield json.loads(line)


def table_line(typed_item):
    """One line of a table file (``TABLE_FORMAT``): ``{"Item": typed_item}`` as UTF-8 JSON,
    newline-terminated. ``typed_item`` is JSON-ready DynamoDB JSON (bytes already base64)."""
    return json.dumps({"Item": typed_item}, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def line_item(line, table_format):
    """The typed item of one parsed line of a table file in ``table_format``; ValueError when
    the line does not have that format's shape."""
    if table_format == TABLE_FORMAT:
        if not isinstance(line, dict) or set(line) != {"Item"} or not isinstance(line["Item"], dict):
            raise ValueError('expected a line {"Item": {...}}')
        return line["Item"]
    if table_format == LEGACY_TABLE_FORMAT:
        if not isinstance(line, dict):
            raise ValueError("expected a line holding a typed item (a JSON object)")
        return line
    raise ValueError(f"unknown table format {table_format!r}")


def table_format(entry):
    """The table format of a manifest (or part record) table entry; entries of format_version 1
    have none and hold ``LEGACY_TABLE_FORMAT``."""
    return entry.get("table_format", LEGACY_TABLE_FORMAT)


def sha256_file(path):
    """(hex SHA-256, size in bytes) of the file at ``path``, read in chunks."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


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


def summary(head, problems):
    """``head: problem; problem; ...`` with at most 20 problems named, then how many more."""
    shown = problems[:_MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    return f"{head}: " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


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


# --- the backup root: finding a backup ----------------------------------------------------


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


# --- AWS export directories (ExportTableToPointInTime, downloaded from S3) ----------------

AWS_EXPORTS_DIR = "AWSDynamoDB"
AWS_SUMMARY = "manifest-summary.json"
AWS_FILES = "manifest-files.json"
AWS_FORMAT = "DYNAMODB_JSON"
AWS_FULL_EXPORT = "FULL_EXPORT"


def find_aws_export(path):
    """The export directory (the one holding ``manifest-summary.json``) that ``path`` names:
    the export directory itself (``.../AWSDynamoDB/<export-id>``), the ``AWSDynamoDB``
    directory or the directory above it (the export prefix) when they hold exactly one export.
    """
    path = os.path.abspath(path)
    if os.path.isfile(os.path.join(path, AWS_SUMMARY)):
        return path
    if not os.path.isdir(path):
        raise BackupError(f"aws_export {path} does not exist or is not a directory")
    found = []
    for parent in (os.path.join(path, AWS_EXPORTS_DIR), path):
        if os.path.isdir(parent):
            found += [os.path.join(parent, name) for name in sorted(os.listdir(parent))
                      if os.path.isfile(os.path.join(parent, name, AWS_SUMMARY))]
        if found:
            break
    if len(found) == 1:
        return found[0]
    if not found:
        raise BackupError(
            f"aws_export {path} is not an AWS DynamoDB export: no {AWS_SUMMARY} in it, in "
            f"{AWS_EXPORTS_DIR}/<export-id>/ or in <export-id>/ below it"
        )
    raise BackupError(
        f"aws_export {path} holds {len(found)} exports ({', '.join(os.path.basename(f) for f in found)}); "
        "name one: the directory holding its manifest-summary.json",
        exports=found,
    )


def _export_relpath(key, export_id):
    """The path, relative to the export directory, of the data file whose S3 key is ``key``
    (``[<prefix>/]AWSDynamoDB/<export-id>/data/<name>``)."""
    marker = f"{AWS_EXPORTS_DIR}/{export_id}/"
    if marker in key:
        rel = key.split(marker, 1)[1]
    elif "/data/" in key:
        rel = "data/" + key.rsplit("/data/", 1)[1]
    else:
        rel = key
    if not rel.startswith("data/") or rel == "data/":
        raise BackupError(f"{AWS_FILES}: dataFileS3Key {key!r} does not name a file under data/")
    return rel


def _table_from_arn(arn):
    if isinstance(arn, str) and ":table/" in arn:
        return arn.split(":table/", 1)[1].split("/", 1)[0]
    return None


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def load_aws_export(path):
    """Read the manifests of the AWS export at ``path`` (see ``find_aws_export``), without
    reading its data files.

    Returns ``dir`` (the export directory), ``export_id``, ``export_arn``, ``export_time``,
    ``table_arn``, ``table`` (the name in tableArn), ``item_count`` (the summary's) and
    ``files``: per data file ``file`` (relative to ``dir``), ``key`` (its dataFileS3Key),
    ``item_count`` and ``md5`` (md5Checksum). Refuses incremental, Ion and unreadable exports.
    """
    export_dir = find_aws_export(path)
    export_id = os.path.basename(export_dir)
    summary_path = os.path.join(export_dir, AWS_SUMMARY)
    try:
        summary = read_json(summary_path)
    except ValueError as exc:
        raise BackupError(f"{summary_path} is not valid JSON: {exc}") from exc
    if not isinstance(summary, dict) or not _count(summary.get("itemCount")):
        raise BackupError(f"{summary_path}: expected an export summary with an itemCount")
    if summary.get("outputFormat", AWS_FORMAT) != AWS_FORMAT:
        raise BackupError(f"{summary_path}: outputFormat {summary['outputFormat']!r}; only {AWS_FORMAT} exports restore")
    if summary.get("exportType", AWS_FULL_EXPORT) != AWS_FULL_EXPORT:
        raise BackupError(
            f"{summary_path}: exportType {summary['exportType']!r}; only a {AWS_FULL_EXPORT} holds whole items to restore"
        )
    files_path = os.path.join(export_dir, AWS_FILES)
    files = []
    try:
        with open(files_path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except ValueError as exc:
                    raise BackupError(f"{files_path}: line {number} is not valid JSON: {exc}") from exc
                if (not isinstance(line, dict) or not isinstance(line.get("dataFileS3Key"), str)
                        or not _count(line.get("itemCount")) or not isinstance(line.get("md5Checksum"), str)):
                    raise BackupError(f"{files_path}: line {number} lacks dataFileS3Key, itemCount or md5Checksum")
                files.append({"file": _export_relpath(line["dataFileS3Key"], export_id), "key": line["dataFileS3Key"],
                              "item_count": line["itemCount"], "md5": line["md5Checksum"]})
    except FileNotFoundError as exc:
        raise BackupError(f"{export_dir} has no {AWS_FILES}: the export is incomplete") from exc
    return {
        "dir": export_dir,
        "export_id": export_id,
        "export_arn": summary.get("exportArn"),
        "export_time": summary.get("exportTime"),
        "table_arn": summary.get("tableArn"),
        "table": _table_from_arn(summary.get("tableArn")),
        "item_count": summary["itemCount"],
        "files": files,
    }


def md5_matches(recorded, digest):
    """Whether ``recorded`` (an md5Checksum) is the MD5 ``digest`` (bytes). AWS writes the
    base64 of the 16-byte digest (as S3's Content-MD5); the hex form is accepted too."""
    if recorded.lower() == digest.hex():
        return True
    try:
        return base64.b64decode(recorded, validate=True) == digest
    except (binascii.Error, ValueError):
        return False


def _md5_and_lines(path):
    """(MD5 digest of the raw bytes, lines of the gunzipped content, what is wrong with the
    gzip stream or None), in one sequential read of the whole file: the MD5 is of every byte
    even when the gzip stream breaks early. Handles multi-member gzip; an empty file (as AWS
    writes for an empty partition) holds no line."""
    md5 = hashlib.md5()  # noqa: S324 - AWS's checksum of the file, not a security control
    lines = 0
    last = b"\n"
    broken = None
    inflate, fed = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS), False
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            md5.update(chunk)
            while chunk and broken is None:
                fed = True
                try:
                    data = inflate.decompress(chunk)
                except zlib.error as exc:
                    broken = str(exc)
                    break
                if data:
                    lines += data.count(b"\n")
                    last = data[-1:]
                chunk = b""
                if inflate.eof:  # a member ended: what follows is the next member
                    chunk = inflate.unused_data
                    inflate, fed = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS), False
    if broken is None and fed:
        broken = "the gzip stream stops in the middle (truncated)"
    return md5.digest(), lines + (last != b"\n"), broken


def aws_export_file_problem(export_dir, entry):
    """What is wrong with one data file of an AWS export against its manifest-files.json line
    (missing, MD5, not gzip, item count), or None. One sequential read; no JSON is parsed."""
    relpath = entry["file"]
    try:
        digest, lines, broken = _md5_and_lines(resolve(export_dir, relpath))
    except FileNotFoundError:
        return f"{relpath}: file is missing"
    except BackupError as exc:
        return exc.msg
    except OSError as exc:
        return f"{relpath}: unreadable ({exc})"
    if not md5_matches(entry["md5"], digest):
        return (f"{relpath}: md5 is {base64.b64encode(digest).decode('ascii')} ({digest.hex()}), "
                f"{AWS_FILES} says {entry['md5']}")
    if broken:
        return f"{relpath}: not a whole gzip file ({broken})"
    if lines != entry["item_count"]:
        return f"{relpath}: holds {lines} items, {AWS_FILES} says {entry['item_count']}"
    return None


def aws_export_problems(export):
    """Every problem of the export ``load_aws_export`` returned: each data file checked
    (``aws_export_file_problem``), going on past each damaged one, and the files' item counts
    summed against the summary's itemCount. An empty list when the export is whole."""
    problems = [p for p in (aws_export_file_problem(export["dir"], f) for f in export["files"]) if p]
    listed = sum(f["item_count"] for f in export["files"])
    if listed != export["item_count"]:
        problems.append(f"{AWS_FILES} lists {listed} items in {len(export['files'])} files, "
                        f"{AWS_SUMMARY} says {export['item_count']}")
    return problems


def verify_aws_export(path):
    """``load_aws_export`` and ``aws_export_problems``: raises ``BackupError`` naming every
    problem (details ``problems``); returns the export when it is whole."""
    export = load_aws_export(path)
    problems = aws_export_problems(export)
    if problems:
        raise BackupError(summary(f"AWS export {export['dir']} failed verification", problems), problems=problems)
    return export
