# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare what a table and a bucket hold, item by item and object by object, with a backup.

Verifying a backup's files (``backup_manifest.verify``) proves the files are what was written;
a restore drill must also prove that what a restore put into a table and a bucket is the
backup: every item and every object, counted and checksummed.

The checksums are the backup's own: an object's ``sha256`` (and size, content type, the other
recorded headers and its metadata) from the bucket's index; an item's ``item_digest``
(``backup_layout``: SHA-256 of its canonical DynamoDB JSON) computed from each line of the
table file, and from each item scanned back from the table.

``compare`` (pure) matches two ``{id: record}`` maps and names what differs: missing, not in
the backup, or different (and how). The readers yield those maps from a backup (``store``:
a directory or the vault, ``backup_store``) and from AWS. Memory grows with the number of items
and objects (one digest each), not with their size: objects are hashed as they stream.

Plain boto3 and the standard library; no Ansible imports.
"""
from __future__ import annotations

from ansible_collections.strata.aws.plugins.module_utils.aws_export import export_lines, read_export
from ansible_collections.strata.aws.plugins.module_utils.backup_aws import (
    DEFAULT_RETRIES,
    call_with_backoff,
    ordered_map,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_layout import (
    BackupError,
    ItemsDigest,
    item_digest,
    line_item,
    summary,
    table_format,
    table_method,
)
from ansible_collections.strata.aws.plugins.module_utils.backup_manifest import load_manifest, select
from ansible_collections.strata.aws.plugins.module_utils.backup_s3 import HEADERS, list_objects
from ansible_collections.strata.aws.plugins.module_utils.backup_store import as_store
from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import (
    describe,
    encode_item,
    scan_pages,
)
from ansible_collections.strata.aws.plugins.module_utils.s3_transfer import stream_checksums

OBJECT_FIELDS = ("size", "sha256", "content_type", "cache_control", "content_encoding", "content_disposition",
                 "content_language", "metadata")
"""What is compared of each object (the index's fields): bytes (size, SHA-256), headers, metadata."""
_MAX_NAMED = 20


# --- pure ---------------------------------------------------------------------------------


def item_id(typed_item, key_names):
    """A readable id of an item: its key attributes, ``stat=Quantity`` (several: ``a=1, b=x``)."""
    parts = []
    for name in key_names:
        value = typed_item.get(name)
        if not isinstance(value, dict) or len(value) != 1:
            parts.append(f"{name}=?")
            continue
        (_kind, data), = value.items()
        parts.append(f"{name}={data}")
    return ", ".join(parts)


def _field_difference(name, expected, actual):
    if isinstance(expected, dict) and isinstance(actual, dict):
        changed = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
        return f"{name} differs ({', '.join(changed)})"
    return f"{name} is {actual!r}, the backup has {expected!r}"


def compare(expected, actual, noun):
    """What differs between ``expected`` (from the backup) and ``actual`` (read back), both
    ``{id: record}``; a record is a digest (text) or a dict of fields. Returns
    ``{"missing": [ids], "unexpected": [ids], "different": [{"id", "problem"}]}``, each sorted."""
    missing = sorted(set(expected) - set(actual))
    unexpected = sorted(set(actual) - set(expected))
    different = []
    for ident in sorted(set(expected) & set(actual)):
        want, got = expected[ident], actual[ident]
        if want == got:
            continue
        if isinstance(want, dict) and isinstance(got, dict):
            fields = [_field_difference(f, want.get(f), got.get(f)) for f in sorted(set(want) | set(got))
                      if want.get(f) != got.get(f)]
            problem = "; ".join(fields)
        else:
            problem = f"{noun} checksum is {got}, the backup's is {want}"
        different.append({"id": ident, "problem": problem})
    return {"missing": missing, "unexpected": unexpected, "different": different}


def problems_of(kind, name, source, difference, expected_count, actual_count):
    """Sentences naming what differs in one restored resource ``name`` (restored from
    ``source`` of the backup), at most 20 ids each."""
    noun = "items" if kind == "table" else "objects"
    problems = []
    if expected_count != actual_count:
        problems.append(f"{kind} {name}: holds {actual_count} {noun}, the backup's {source} holds {expected_count}")

    def named(ids):
        shown = ", ".join(ids[:_MAX_NAMED])
        return shown + (f" and {len(ids) - _MAX_NAMED} more" if len(ids) > _MAX_NAMED else "")

    if difference["missing"]:
        problems.append(f"{kind} {name}: {len(difference['missing'])} {noun} of the backup missing: "
                        f"{named(difference['missing'])}")
    if difference["unexpected"]:
        problems.append(f"{kind} {name}: {len(difference['unexpected'])} {noun} not in the backup: "
                        f"{named(difference['unexpected'])}")
    for entry in difference["different"][:_MAX_NAMED]:
        problems.append(f"{kind} {name}: {entry['id']}: {entry['problem']}")
    if len(difference["different"]) > _MAX_NAMED:
        problems.append(f"{kind} {name}: and {len(difference['different']) - _MAX_NAMED} more different {noun}")
    return problems


def object_record(entry):
    """What is compared of one object, from its index entry (or a read back with the same fields)."""
    record = {field: entry.get(field) for field in OBJECT_FIELDS}
    record["metadata"] = dict(record["metadata"] or {})
    return record


# --- readers ------------------------------------------------------------------------------


def backup_items(store, entry, key_names):
    """``{item_id: item_digest}`` of every item of the table ``entry`` of the backup in ``store``."""
    if table_method(entry) == "export":
        export = read_export(store, entry["export"]["dir"])
        sources = [lambda f=f: export_lines(export, f) for f in export["files"]]
    else:
        sources = [lambda: store.gzip_lines(entry["file"])]
    line_format = table_format(entry)
    digests = {}
    for lines in sources:
        for line in lines():
            item = line_item(line, line_format)
            digests[item_id(item, key_names)] = item_digest(item)
    return digests


def table_items(client, table, key_names, retries=DEFAULT_RETRIES):
    """``{item_id: item_digest}`` of every item ``table`` holds (a consistent Scan)."""
    digests = {}
    for page in scan_pages(client, table, consistent_read=True, retries=retries):
        for item in page["Items"]:
            typed = encode_item(item)
            digests[item_id(typed, key_names)] = item_digest(typed)
    return digests


def backup_objects(store, entry):
    """``{key: object_record}`` of every object of the bucket ``entry`` of the backup in
    ``store``; an object copied in parts without a SHA-256 of the whole keeps its composite
    checksum and part size, to be compared as S3 computes it."""
    records = {}
    for obj in store.gzip_lines(entry["index"]):
        record = object_record(obj)
        if not obj.get("sha256"):
            record["sha256"] = {"composite": obj.get("checksum_sha256"), "part_size": obj.get("part_size")}
        records[obj["key"]] = record
    return records


def _read_back(s3, bucket, key, part_size, retries):
    """The object's record (``OBJECT_FIELDS``) from GetObject: its bytes hashed as they stream
    (and S3's composite checksum for ``part_size``, when given)."""
    response = call_with_backoff(s3.get_object, retries, Bucket=bucket, Key=key)
    body = response["Body"]
    try:
        sha256, size, composite = stream_checksums(body.read, part_size)
    finally:
        body.close()
    record = {field: response.get(header) for header, field in HEADERS.items()}
    record.update(size=size, sha256=sha256, metadata=response.get("Metadata") or {})
    if part_size:
        record["sha256"] = {"composite": composite, "part_size": part_size}
    return object_record(record)


def bucket_objects(s3, bucket, part_sizes=None, concurrency=8, retries=DEFAULT_RETRIES):
    """``{key: object_record}`` of every object ``bucket`` holds, each read whole and hashed
    (``part_sizes``: ``{key: part size}`` of objects to checksum as S3's composite)."""
    part_sizes = part_sizes or {}

    def read(listed):
        key = listed["Key"]
        return key, _read_back(s3, bucket, key, part_sizes.get(key), retries)

    return dict(ordered_map(read, list_objects(s3, bucket, retries), concurrency))


# --- verification -------------------------------------------------------------------------


def verify_restored(src, tables=None, buckets=None, dynamodb=None, s3=None, concurrency=8, retries=DEFAULT_RETRIES):
    """Compare restored resources with the backup ``src`` (a directory, or the ``s3://`` URI of a
    backup in the vault, read with ``s3``): ``tables`` ``{backup table: restored table}`` item by
    item (``dynamodb``), ``buckets`` ``{backup bucket: restored bucket}`` object by object.

    Returns ``{"ok", "tables", "buckets", "problems"}``: per resource ``name``, ``source``,
    ``expected`` and ``actual`` counts, ``missing``, ``unexpected``, ``different`` and ``ok``;
    ``problems`` names every difference (``problems_of``). Never raises for a difference; a
    backup without a manifest or without the resource raises ``BackupError``.
    """
    store = as_store(src, s3, retries)
    manifest = load_manifest(store)
    result = {"tables": [], "buckets": [], "problems": []}
    for source, target in sorted((tables or {}).items()):
        entry = select(manifest, "tables", source, "table")
        schema = sorted(describe(dynamodb, target, retries)["KeySchema"], key=lambda k: k["KeyType"] != "HASH")
        key_names = [k["AttributeName"] for k in schema]
        expected = backup_items(store, entry, key_names)
        actual = table_items(dynamodb, target, key_names, retries)
        outcome = _outcome("table", target, source, expected, actual, entry["item_count"], "item", result["problems"])
        recorded = entry.get("items_sha256")
        if recorded:
            found = items_problems(target, source, recorded, expected.values(), actual.values())
            outcome["problems"] += found
            outcome["ok"] = outcome["ok"] and not found
            result["problems"].extend(found)
        result["tables"].append(outcome)
    for source, target in sorted((buckets or {}).items()):
        entry = select(manifest, "buckets", source, "bucket")
        expected = backup_objects(store, entry)
        part_sizes = {k: r["sha256"]["part_size"] for k, r in expected.items() if isinstance(r["sha256"], dict)}
        actual = bucket_objects(s3, target, part_sizes, concurrency, retries)
        result["buckets"].append(_outcome("bucket", target, source, expected, actual, entry["object_count"], "object",
                                          result["problems"]))
    result["ok"] = not result["problems"]
    return result


def combined(digests):
    """The ``ItemsDigest`` of item digests."""
    total = ItemsDigest()
    for digest in digests:
        total.add(digest)
    return total.hexdigest()


def items_problems(name, source, recorded, in_file, in_table):
    """What is wrong against the ``items_sha256`` a backup recorded for ``source`` when it wrote the
    table file: the file's items (changed after the backup, even with the file's checksum
    rewritten) and the restored table ``name``'s items."""
    problems = []
    held = combined(in_file)
    if held != recorded:
        problems.append(f"table {name}: the backup's table file of {source} does not hold the items the backup "
                        f"recorded (their digest is {held}, the manifest's items_sha256 is {recorded}): the file was "
                        "changed after the backup was taken")
    restored = combined(in_table)
    if restored != recorded:
        problems.append(f"table {name}: its items' digest is {restored}, the manifest's items_sha256 of {source} "
                        f"is {recorded}")
    return problems


def _outcome(kind, name, source, expected, actual, recorded, noun, problems):
    difference = compare(expected, actual, noun)
    found = problems_of(kind, name, source, difference, recorded, len(actual))
    if len(expected) != recorded:
        found.insert(0, f"{kind} {name}: the backup's {source} lists {len(expected)} {noun}s, its manifest says {recorded}")
    problems.extend(found)
    return {"name": name, "source": source, "expected": recorded, "actual": len(actual), "ok": not found,
            "missing": difference["missing"], "unexpected": difference["unexpected"],
            "different": difference["different"], "problems": found}


def raise_on_difference(result):
    """Raise ``BackupError`` naming every difference of a ``verify_restored`` result."""
    if result["problems"]:
        raise BackupError(summary("the restored resources differ from the backup", result["problems"]), **result)
