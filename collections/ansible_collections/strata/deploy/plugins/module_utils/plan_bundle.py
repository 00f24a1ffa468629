# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan bundles: the reviewed plans of one environment, in a directory with a manifest.

``playbooks/plan.yml`` saves each layer's plan file (``<layer>.tfplan``) into the bundle and
writes ``manifest.json`` last: per layer the plan file's sha256, the serial and lineage of the
state it was planned against, the sha256 of its inputs and the summary; for the whole bundle the
environment and the account. ``playbooks/deploy.yml -e plan_bundle=<dir>`` checks all of it
before anything is applied (:func:`verify_bundle`, :func:`layer_refusal`).

A bundle may also live in S3 (``-e plan_bundle=s3://<bucket>/<prefix>``, :func:`s3_location`):
it is written and read in a private temporary directory on the controller and copied to and
from S3 by ``strata.aws.plan_bundle_s3``; under Automation Controller it defaults to the state
bucket (:func:`default_s3_location`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re

from ansible_collections.strata.deploy.plugins.module_utils import files
from ansible_collections.strata.deploy.plugins.module_utils import terraform_adopt as adopt

MANIFEST = "manifest.json"
FORMAT = "strata-plan-bundle/1"
S3_SCHEME = "s3://"
# Where bundles go in the state bucket under Automation Controller: plans/<env>/<job id>.
PLANS_PREFIX = "plans"
PLANNED = "planned"
AFTER_PREDECESSOR = "planned after its predecessor"


class BundleError(Exception):
    """A bundle that must not be used, with the message the user should read."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg


# An S3 bucket name (as the inventory's bucket_name format, without its IP-address rule) and a key
# prefix of plain segments (no empty, "." or ".." segment, no control character).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SEGMENT = re.compile(r"^[^\x00-\x1f\x7f/]+$")
_JOB_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def s3_location(url):
    """``{url, bucket, prefix}`` of a bundle in S3, ``s3://<bucket>/<prefix>`` (a trailing slash
    is dropped); raises BundleError naming what is wrong. The prefix is required: a bundle never
    lies at the root of a bucket (its expiration rule would cover every object)."""
    expected = ("expected s3://<bucket>/<prefix> (a bucket name, then a prefix of one or more segments without "
                "'.' or '..' segments or control characters), e.g. s3://my-bucket/plans/dev/review-1")
    rest = str(url)[len(S3_SCHEME):] if str(url).startswith(S3_SCHEME) else None
    if rest is None:
        raise BundleError(f"plan_bundle is '{url}': {expected}.")
    bucket, _slash, prefix = rest.partition("/")
    prefix = prefix.rstrip("/")
    segments = prefix.split("/") if prefix else []
    if (not _BUCKET.match(bucket) or ".." in bucket or not segments
            or any(not _SEGMENT.match(part) or part in (".", "..") for part in segments)):
        raise BundleError(f"plan_bundle is '{url}': {expected}.")
    return {"url": f"{S3_SCHEME}{bucket}/{prefix}", "bucket": bucket, "prefix": prefix}


def default_s3_location(bucket, env, job_id):
    """Where plan.yml writes a bundle in an Automation Controller job given no plan_bundle:
    the state bucket, ``plans/<env>/<job id>``."""
    if not _JOB_ID.match(str(job_id)):
        raise BundleError(f"awx_job_id is '{job_id}': expected the job's id (letters, digits, '_' and '-').")
    return s3_location(f"{S3_SCHEME}{bucket}/{PLANS_PREFIX}/{env}/{job_id}")


def bundle_location(given, env, state_bucket, job_id="", write=False):
    """Where a bundle lives in S3, or ``{}`` when it is a directory (or there is none): ``given``
    when it is an ``s3://`` URL; with ``write`` (plan.yml), no ``given`` and a controller
    ``job_id``, the state bucket's ``plans/<env>/<job id>``."""
    given = str(given or "")
    if given.startswith(S3_SCHEME):
        return s3_location(given)
    if not given and write and str(job_id or ""):
        return default_s3_location(state_bucket, env, job_id)
    return {}


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_sha256(fingerprint, terraform_version):
    """The inputs of a layer's plan: the working copy's fingerprint (configuration, input
    variables, backend, provider lock file, modules) and the Terraform version."""
    return hashlib.sha256(f"{fingerprint}\0{terraform_version}".encode()).hexdigest()


def state_identity(state):
    """``(serial, lineage)`` of a state document (``terraform state pull``); ``(None, None)`` without state."""
    state = state or {}
    return state.get("serial"), state.get("lineage")


def value_sha256(value):
    """The sha256 of one output's value (its JSON, keys sorted): what a bundle keeps of it."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def pin_reads(outputs):
    """What a bundle records of the outputs a layer's plan read from another layer: the names
    and a sha256 per value (never the values: they may be secrets), and one sha256 of them all."""
    each = {name: value_sha256(value) for name, value in sorted(outputs.items())}
    return {"names": sorted(each), "each": each, "sha256": value_sha256(each)}


def changed_reads(reads, outputs):
    """The names among ``reads`` (see :func:`pin_reads`) whose value in ``outputs`` differs from
    the one the plan read (an output now gone or not yet known counts as changed)."""
    return [name for name in reads.get("names", [])
            if name not in outputs or value_sha256(outputs[name]) != reads["each"][name]]


def reads_refusal(layer, predecessor, changed):
    """The message refusing a reviewed plan whose predecessor's outputs changed since it was made."""
    return (f"Refusing to apply the reviewed plan of the {layer} layer: it was planned against outputs of the "
            f"{predecessor} layer that have changed since ({', '.join(changed)}), so it would apply against the old "
            f"values. Nothing of the {layer} layer was applied; {predecessor} keeps what was applied to it. Plan the rest "
            f"again with playbooks/plan.yml (the new bundle plans {layer} against the new outputs) and review it.")


def layer_refusal(layer, expected, found):
    """The message refusing to apply a layer's reviewed plan, or None when it may be applied.
    ``expected`` is the manifest's entry, ``found`` the same keys as they are now
    (``sha256``, ``serial``, ``lineage``, ``inputs_sha256``)."""
    why = []
    if found.get("sha256") != expected.get("sha256"):
        why.append(f"its plan file {expected.get('plan_file')} was altered since it was reviewed "
                   f"(sha256 {expected.get('sha256')} in the manifest, {found.get('sha256')} now)")
    if (found.get("lineage"), found.get("serial")) != (expected.get("lineage"), expected.get("serial")):
        why.append(f"its state moved on since it was planned (serial {expected.get('serial')}, lineage "
                   f"{expected.get('lineage')} when planned; serial {found.get('serial')}, lineage {found.get('lineage')} now)")
    if found.get("inputs_sha256") != expected.get("inputs_sha256"):
        why.append("its code or inputs differ from those it was planned with (configuration, modules, input "
                   "variables, backend, provider lock file or Terraform version; inputs sha256 "
                   f"{expected.get('inputs_sha256')} when planned, {found.get('inputs_sha256')} now)")
    if not why:
        return None
    return (f"Refusing to apply the reviewed plan of the {layer} layer: " + "; ".join(why)
            + ". Nothing was changed. Run playbooks/plan.yml again and review the new bundle.")


def interrupted_refusal(layer, entries):
    """The message refusing a reviewed plan that creates again what an interrupted apply created
    (``entries``: terraform_adopt's journal entries)."""
    return (f"Refusing to apply the reviewed plan of the {layer} layer: an apply of it was interrupted after AWS "
            f"created {adopt.describe(entries)}, which this plan creates again and would stop at 'already exists'. Nothing was "
            "changed. Run playbooks/deploy.yml with the same inventory and no plan_bundle (it imports them into the "
            "state), then playbooks/plan.yml again and review the new bundle.")


def build_manifest(bundle_dir, env, account_id, region, layers, created):
    """The manifest of a bundle. ``layers`` is ``[{layer, status, predecessor, plan_file, serial,
    lineage, inputs_sha256, changes, summary}]`` in order; each plan file's sha256 is read here."""
    entries = {}
    order = []
    planned_outputs = {}
    for item in layers:
        name = item["layer"]
        order.append(name)
        entry = {key: item.get(key) for key in ("status", "predecessor")}
        if item["status"] == PLANNED:
            plan_file = os.path.basename(item["plan_file"])
            path = os.path.join(bundle_dir, plan_file)
            if not os.path.isfile(path):
                raise BundleError(f"The plan of the {name} layer ({path}) is missing: the bundle was not written.")
            entry.update(plan_file=plan_file, sha256=file_sha256(path), serial=item.get("serial"),
                         lineage=item.get("lineage"), inputs_sha256=item["inputs_sha256"],
                         changes=bool(item.get("changes")), summary=item.get("summary") or {})
            planned_outputs[name] = (item.get("summary") or {}).get("outputs") or {}
            if item.get("reads"):
                # A predecessor planned in this bundle whose plan changes (or leaves unknown)
                # an output this layer read: its plan will be refused at apply; say so now.
                entry.update(reads=item["reads"], reads_changed_by_predecessor=changed_reads(
                    item["reads"], planned_outputs.get(item.get("predecessor"), {}))
                    if item.get("predecessor") in planned_outputs else [])
        elif item["status"] != AFTER_PREDECESSOR:
            raise BundleError(f"layers: status {item['status']!r} of {name} is not one of {PLANNED!r}, {AFTER_PREDECESSOR!r}.")
        entries[name] = entry
    return {"format": FORMAT, "env": env, "account_id": str(account_id), "region": region,
            "created": created, "order": order, "layers": entries}


def write_manifest(bundle_dir, manifest):
    """Write the manifest last and atomically; the plan files become read-only. The bundle is
    readable by its owner only (directory 0700, files 0600 or 0400): its plans hold the state."""
    os.chmod(bundle_dir, 0o700)
    for entry in manifest["layers"].values():
        if entry.get("plan_file"):
            os.chmod(os.path.join(bundle_dir, entry["plan_file"]), 0o400)
    path = os.path.join(bundle_dir, MANIFEST)
    files.write_if_changed(path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o600)
    return path


def read_manifest(bundle_dir, origin=None):
    """The manifest of the bundle in ``bundle_dir``; messages name ``origin`` (where the bundle
    was downloaded from) when given."""
    path = os.path.join(bundle_dir, MANIFEST)
    if not os.path.isdir(bundle_dir):
        raise BundleError(f"plan_bundle is '{bundle_dir}': no such directory (expected a bundle written by playbooks/plan.yml).")
    bundle_dir = origin or bundle_dir
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except OSError:
        raise BundleError(f"plan_bundle is '{bundle_dir}': it has no {MANIFEST} (expected a bundle written by "
                          "playbooks/plan.yml; an interrupted plan writes none).") from None
    except ValueError as exc:
        raise BundleError(f"plan_bundle is '{bundle_dir}': its {MANIFEST} is not valid JSON ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"plan_bundle is '{bundle_dir}': its {MANIFEST} is not a strata plan bundle "
                          f"(format {manifest.get('format') if isinstance(manifest, dict) else None!r}, expected {FORMAT!r}).")
    return manifest


def verify_bundle(bundle_dir, env, account_id, origin=None):
    """Read and check a bundle before anything is applied: made for this environment and
    account, every plan file as it was written. ``origin`` names the bundle in messages when it
    was downloaded into ``bundle_dir`` (its ``s3://`` URL). Returns the manifest; raises BundleError."""
    manifest = read_manifest(bundle_dir, origin)
    shown = origin or bundle_dir
    if (manifest.get("env"), str(manifest.get("account_id"))) != (env, str(account_id)):
        raise BundleError(f"plan_bundle '{shown}' was made for environment {manifest.get('env')} in account "
                          f"{manifest.get('account_id')}; this run deploys environment {env} in account {account_id}. "
                          "Nothing was changed.")
    for name in manifest.get("order", []):
        entry = manifest["layers"][name]
        if entry.get("status") != PLANNED:
            continue
        plan_file = str(entry.get("plan_file") or "")
        if not plan_file or os.path.basename(plan_file) != plan_file or plan_file in (".", ".."):
            raise BundleError(f"Refusing plan_bundle '{shown}': its {MANIFEST} names the plan file of the {name} layer "
                              f"{plan_file!r}, not a file of the bundle. Nothing was changed: nothing was applied. Plan "
                              "again with playbooks/plan.yml and review the new bundle.")
        path = os.path.join(bundle_dir, plan_file)
        found = file_sha256(path) if os.path.isfile(path) else "missing"
        if found != entry.get("sha256"):
            raise BundleError(f"Refusing plan_bundle '{shown}': the plan file of the {name} layer "
                              f"({entry['plan_file']}) was altered since it was reviewed (sha256 {entry.get('sha256')} in "
                              f"the manifest, {found} now). Nothing was changed: nothing was applied. Plan again with "
                              "playbooks/plan.yml and review the new bundle.")
    return manifest


def summary_lines(manifest):
    """One line per layer for a reviewer: counts, and every data-holding resource by name."""
    lines = []
    for name in manifest.get("order", []):
        entry = manifest["layers"][name]
        if entry.get("status") != PLANNED:
            lines.append(f"{name}: {AFTER_PREDECESSOR} ({entry.get('predecessor')} does not exist yet); "
                         f"run plan.yml again once it does")
            continue
        s = entry.get("summary") or {}
        line = (f"{name}: {s.get('add', 0)} to add, {s.get('change', 0)} to change, {s.get('destroy', 0)} to destroy, "
                f"{s.get('replace', 0)} to replace")
        if entry.get("reads_changed_by_predecessor"):
            line += (f"; its plan depends on outputs the {entry.get('predecessor')} plan changes "
                     f"({', '.join(entry['reads_changed_by_predecessor'])}): it will be refused after "
                     f"{entry.get('predecessor')} is applied; plan again then")
        loss = s.get("data_loss") or []
        if loss:
            line += "; data at risk: " + ", ".join(
                f"{item['address']} ({item['name']}): {item['action']}" for item in loss)
        lines.append(line)
    return lines
