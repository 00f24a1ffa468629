"""Kill deploys, teardowns and restores for real at points spread over each run, recover
as the docs say, and check that nothing is lost and the next deploy changes nothing.

    python tools/dev/kill_sweep.py [--points N] [--seed S] [--kill teardown,deploy,restore]
        [--parallel K] [--endpoint URL] [--work-dir DIR] [--result-format yaml|json|alternate] [--keep]

In an environment of its own -- an emulator on a free port (or --endpoint), an inventory with
the local inventory's settings, project ``killsweep``, its own working copies and backup root --
the sweep:

1. deploys from nothing, writes the user's data (items of every DynamoDB type, objects of the
   user's own in the site and logs buckets) and takes a snapshot of the visits table and both
   buckets: every item, every object's bytes and metadata;
2. calibrates: runs one round uninterrupted -- teardown, deploy, restore, then a deploy that
   must change nothing -- recording when each task starts (``TASK [...]`` lines), and checks
   the data after the restore;
3. chooses N points per playbook, spread over its calibrated run: the run is cut into N
   equal spans of elapsed time and one instant is drawn in each (from --seed, printed), which
   becomes a task (its name and occurrence) and a delay into that task. A kill happens when
   that task starts plus the delay, or when the next task starts, whichever is first: the point
   means the same task on a loaded machine;
4. runs N rounds. In round i the teardown is killed at its point i (SIGKILL to the whole
   process tree: Terraform and Ansible's workers, whatever session they moved to), then
   recovered as the README says: ``playbooks/unlock.yml`` without a layer lists the held locks
   and prints the command that releases each, the sweep runs exactly those commands, then runs
   the killed command again. The deploy is killed and recovered the same way, then the restore;
   the data must then equal the snapshot and the next deploy must change nothing (recap
   changed=0, every layer 0 to add, change and destroy).

With --parallel K, K environments (each with its emulator) take the rounds side by side: the
first calibrates, and each playbook's points are published as soon as its calibrated run ends,
so the others, set up meanwhile, start their rounds without waiting for the whole calibration.
Most of a run's time is Terraform waiting on the emulator, so two or three environments on two
cores take little more than one.

What each kill left (locks, resources per layer's state, tables and buckets, backups), the
commands run, the checks and the seconds are printed as a table and written to
``<work dir>/kill-sweep.json``. Every way strata failed is listed with its output; the exit
status is 1 when there is any. The deploy killed is the one after a teardown, which creates
the stateful and stateless layers again (a no-op redeploy has little to interrupt).
"""
from __future__ import annotations

import argparse
import base64
import bisect
import hashlib
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from interrupt_run import signal_tree, wait_gone

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "killsweep"
ENV = "local"
REGION = "us-east-1"
PLAYBOOKS = ("teardown", "deploy", "restore")
LAYERS = ("bootstrap", "stateful", "stateless")
STATE_KEYS = {"bootstrap": "bootstrap/terraform.tfstate", "stateful": f"{ENV}/stateful/terraform.tfstate",
              "stateless": f"{ENV}/stateless/terraform.tfstate"}

TASK_LINE = re.compile(r"^TASK \[(?P<name>.*)\]\s*\**\s*$")
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=\d+\s+failed=(?P<failed>\d+)")
# The commands unlock.yml (and a run that meets a held lock) prints: one per lock, with its
# layer, and one that releases every lock at once, without a layer.
UNLOCK_COMMAND = re.compile(
    r"ansible-playbook\s+playbooks/unlock\.yml\s+-i\s+(?P<inventory>[^\s'\"]+)(?:\s+-e\s+layer=(?P<layer>[\w-]+))?"
    r"\s+-e\s+confirm_unlock=(?P<ids>[\w-]+(?:,[\w-]+)*)")


# ---------------------------------------------------------------------------------------------
# Pure parts: timelines, points, Ansible's output, data comparison
# ---------------------------------------------------------------------------------------------

def task_starts(lines: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The (elapsed seconds, task name) of every ``TASK [...]`` banner of a run's output."""
    starts = []
    for elapsed, line in lines:
        match = TASK_LINE.match(line.rstrip("\n"))
        if match:
            starts.append((elapsed, match["name"]))
    return starts


@dataclass(frozen=True)
class Point:
    """Where a run is killed: ``delay`` seconds after the ``occurrence``-th start of ``task``
    (the ``ordinal``-th task of the calibrated run), or as the next task starts if sooner."""
    playbook: str
    index: int
    task: str
    occurrence: int
    ordinal: int
    delay: float
    at: float

    def label(self) -> str:
        again = f" (#{self.occurrence})" if self.occurrence > 1 else ""
        return f"task {self.ordinal} {self.task!r}{again} +{self.delay:.1f} s"


def choose_points(playbook: str, timeline: list[tuple[float, str]], end: float, count: int, seed: int) -> list[Point]:
    """``count`` points spread over a calibrated run: one instant drawn in each of ``count``
    equal spans of the time between the first task's start and the run's end, each turned
    into the task running then and the delay into it. The same seed, playbook and timeline
    give the same points; each playbook draws from its own stream."""
    if not timeline:
        raise ValueError(f"the calibrated {playbook} run started no task")
    if count < 1:
        raise ValueError(f"points must be at least 1, got {count}")
    starts = [elapsed for elapsed, _ in timeline]
    begin = starts[0]
    if end <= begin:
        raise ValueError(f"the calibrated {playbook} run ended ({end}) before its first task started ({begin})")
    rng = random.Random(f"{seed}/{playbook}")
    span = (end - begin) / count
    points = []
    for index in range(count):
        instant = begin + (index + rng.random()) * span
        ordinal = bisect.bisect_right(starts, instant) - 1
        name = timeline[ordinal][1]
        occurrence = sum(1 for _, other in timeline[:ordinal + 1] if other == name)
        points.append(Point(playbook=playbook, index=index + 1, task=name, occurrence=occurrence, ordinal=ordinal + 1,
                            delay=round(instant - starts[ordinal], 1), at=round(instant, 1)))
    return points


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _results(output: str) -> list:
    """Every task result Ansible printed, parsed: a ``=> {...}`` line (result format json) or
    the indented block after a line ending in ``=>`` (result format yaml)."""
    results, lines = [], output.splitlines()
    for number, line in enumerate(lines):
        head, arrow, rest = line.partition("=> ")
        if arrow and rest.lstrip().startswith("{"):
            try:
                results.append(json.loads(rest))
            except ValueError:
                pass
        elif line.rstrip().endswith("=>"):
            block = []
            for following in lines[number + 1:]:
                if following.strip() and not following[:1].isspace():
                    break
                block.append(following)
            try:
                results.append(yaml.safe_load(textwrap.dedent("\n".join(block))))
            except yaml.YAMLError:
                pass
    return results


def unlock_commands(output: str) -> list[str]:
    """The release commands (``ansible-playbook playbooks/unlock.yml -i INV [-e layer=L] -e
    confirm_unlock=ID[,ID]``) printed in a run's output, in order, each once. Read from the
    printed results, whether json or yaml (which folds long lines), and from the raw text."""
    texts = [text for result in _results(output) for text in _strings(result)]
    texts.append(re.sub(r"[ \t]*\n[ \t]*", " ", output))
    found: list[str] = []
    for text in texts:
        for match in UNLOCK_COMMAND.finditer(text):
            layer = f" -e layer={match['layer']}" if match["layer"] else ""
            command = f"ansible-playbook playbooks/unlock.yml -i {match['inventory']}{layer} -e confirm_unlock={match['ids']}"
            if command not in found:
                found.append(command)
    return found


def recap_changed(output: str) -> int | None:
    """The sum of ``changed=`` over the PLAY RECAP's hosts; None when there is no recap."""
    total, seen = 0, False
    recap = output.rpartition("PLAY RECAP")[2] if "PLAY RECAP" in output else ""
    for line in recap.splitlines():
        match = RECAP_LINE.match(line.strip())
        if match:
            total, seen = total + int(match["changed"]), True
    return total if seen else None


def changed_tasks(output: str) -> list[str]:
    """The tasks that reported ``changed`` (their banners' names), in order."""
    changed, task = [], ""
    for line in output.splitlines():
        match = TASK_LINE.match(line)
        if match:
            task = match["name"]
        elif line.startswith("changed:") and task and task not in changed:
            changed.append(task)
    return changed


def failure_lines(output: str, limit: int = 40) -> list[str]:
    """The failed tasks' banners and messages (what a user reads), at most ``limit`` lines."""
    lines, picked = output.splitlines(), []
    for number, line in enumerate(lines):
        if line.startswith(("fatal:", "failed:", "ERROR!", "[ERROR]")) or "FAILED!" in line:
            task = next((lines[i] for i in range(number - 1, -1, -1) if lines[i].startswith("TASK [")), "")
            if task and task not in picked:
                picked.append(task)
            picked.append(line)
            for following in lines[number + 1:]:
                if following.strip() and not following[:1].isspace():
                    break
                picked.append(following)
    return picked[:limit] if picked else lines[-limit:]


def normalise_value(value):
    """A DynamoDB attribute value (boto3's client form) as comparable JSON: bytes as base64,
    sets sorted."""
    (kind, inner), = value.items()
    if kind == "B":
        return {kind: base64.b64encode(inner).decode()}
    if kind == "BS":
        return {kind: sorted(base64.b64encode(b).decode() for b in inner)}
    if kind in ("SS", "NS"):
        return {kind: sorted(inner)}
    if kind == "M":
        return {kind: {k: normalise_value(v) for k, v in inner.items()}}
    if kind == "L":
        return {kind: [normalise_value(v) for v in inner]}
    return {kind: inner}


def normalise_item(item: dict) -> dict:
    return {name: normalise_value(value) for name, value in item.items()}


OBJECT_FIELDS = ("size", "sha256", "content_type", "metadata", "cache_control", "content_encoding",
                 "content_disposition", "content_language")


def compare(before: dict, after: dict, deploy_owned: frozenset[str] = frozenset()) -> list[str]:
    """What differs between two snapshots (``{"items": {key: item}, "objects": {"bucket/key":
    fields}}``): items and objects missing, added or changed, naming the attribute or field.
    The bytes of ``deploy_owned`` objects are the current deploy's (config.js carries the API
    URL of the stateless layer deployed now): only their other fields are compared."""
    differences = []
    for kind in ("items", "objects"):
        old, new = before.get(kind, {}), after.get(kind, {})
        for key in sorted(set(old) - set(new)):
            differences.append(f"{kind[:-1]} {key} is missing")
        for key in sorted(set(new) - set(old)):
            differences.append(f"{kind[:-1]} {key} was not there before")
        for key in sorted(set(old) & set(new)):
            if kind == "items":
                names = sorted(set(old[key]) | set(new[key]))
                changed = [n for n in names if old[key].get(n) != new[key].get(n)]
                for name in changed:
                    differences.append(f"item {key}: attribute {name} was {json.dumps(old[key].get(name))},"
                                       f" is {json.dumps(new[key].get(name))}")
            else:
                fields = [f for f in OBJECT_FIELDS
                          if not (key in deploy_owned and f in ("size", "sha256")) and old[key].get(f) != new[key].get(f)]
                for name in fields:
                    differences.append(f"object {key}: {name} was {old[key].get(name)!r}, is {new[key].get(name)!r}")
    return differences


# ---------------------------------------------------------------------------------------------
# Running a playbook, and killing it at a point
# ---------------------------------------------------------------------------------------------

@dataclass
class Kill:
    elapsed: float
    task: str
    processes: list[str]


@dataclass
class Run:
    label: str
    argv: list[str]
    log: str
    rc: int | None = None
    seconds: float = 0.0
    lines: list[tuple[float, str]] = field(default_factory=list)
    kill: Kill | None = None
    timed_out: bool = False

    @property
    def output(self) -> str:
        return "".join(line for _, line in self.lines)


def run_command(argv: list[str], *, label: str, log: Path, env: dict, cwd: Path, point: Point | None = None,
                timeout: float = 1800.0, on_start=None) -> Run:
    """Run ``argv`` to its end, or kill its whole process tree (SIGKILL) at ``point``."""
    run = Run(label=label, argv=argv, log=str(log))
    began = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", bufsize=1, start_new_session=True)
    if on_start:
        on_start(proc)
    armed, moved_on = threading.Event(), threading.Event()
    state = {"armed_at": None, "task": "", "seen": Counter()}

    def pump() -> None:
        with open(log, "w", encoding="utf-8") as handle:
            for line in proc.stdout:
                elapsed = time.monotonic() - began
                run.lines.append((elapsed, line))
                handle.write(f"[{elapsed:7.1f}] {line}")
                handle.flush()
                match = TASK_LINE.match(line.rstrip("\n"))
                if not match:
                    continue
                if armed.is_set():
                    moved_on.set()
                state["task"] = match["name"]
                state["seen"][match["name"]] += 1
                if point and not armed.is_set() and match["name"] == point.task \
                        and state["seen"][match["name"]] == point.occurrence:
                    state["armed_at"] = elapsed
                    armed.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = began + timeout
    try:
        if point:
            while not armed.is_set() and proc.poll() is None and time.monotonic() < deadline:
                armed.wait(0.1)
            if armed.is_set():
                until = began + state["armed_at"] + point.delay
                while proc.poll() is None and not moved_on.is_set() and time.monotonic() < until:
                    moved_on.wait(min(0.05, max(0.0, until - time.monotonic())))
                if proc.poll() is None:
                    named = signal_tree(proc.pid, signal.SIGKILL)
                    run.kill = Kill(elapsed=round(time.monotonic() - began, 1), task=state["task"],
                                    processes=sorted({name for _, name in named}))
                    if not wait_gone(named):
                        raise RuntimeError(f"{label}: processes survived SIGKILL: {named}")
        while proc.poll() is None:
            if time.monotonic() >= deadline:
                wait_gone(signal_tree(proc.pid, signal.SIGKILL))
                run.timed_out = True
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            wait_gone(signal_tree(proc.pid, signal.SIGKILL))
        run.rc = proc.wait()
        reader.join(timeout=30)
        run.seconds = round(time.monotonic() - began, 1)
    return run


# ---------------------------------------------------------------------------------------------
# Reading the environment behind strata's back (boto3)
# ---------------------------------------------------------------------------------------------

class Aws:
    """What the sweep reads and writes with boto3 on the emulator."""

    def __init__(self, endpoint: str):
        import boto3

        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=REGION)
        self.s3 = session.client("s3", endpoint_url=endpoint)
        self.ddb = session.client("dynamodb", endpoint_url=endpoint)
        self.account = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
        self.state_bucket = f"{PROJECT}-tfstate-{self.account}"
        self.lock_table = f"{PROJECT}-tfstate-lock"

    def state(self, layer: str) -> dict | None:
        try:
            body = self.s3.get_object(Bucket=self.state_bucket, Key=STATE_KEYS[layer])["Body"].read()
        except self.s3.exceptions.ClientError:
            return None
        return json.loads(body)

    def resources(self, layer: str) -> int | None:
        state = self.state(layer)
        if state is None:
            return None
        return sum(len(r["instances"]) for r in state.get("resources", []) if r["mode"] == "managed")

    def locks(self) -> list[dict]:
        """Every lock held on a layer's state: the lock table's item and the .tflock object."""
        found = []
        for layer, key in STATE_KEYS.items():
            try:
                item = self.ddb.get_item(TableName=self.lock_table, Key={"LockID": {"S": f"{self.state_bucket}/{key}"}},
                                         ConsistentRead=True).get("Item")
            except self.ddb.exceptions.ResourceNotFoundException:
                item = None
            if item:
                found.append({"layer": layer, "where": "lock table", "id": _lock_id(item.get("Info", {}).get("S", ""))})
            try:
                body = self.s3.get_object(Bucket=self.state_bucket, Key=f"{key}.tflock")["Body"].read()
            except self.s3.exceptions.ClientError:
                continue
            found.append({"layer": layer, "where": ".tflock", "id": _lock_id(body.decode(errors="replace"))})
        return found

    def table_exists(self, table: str) -> bool:
        try:
            self.ddb.describe_table(TableName=table)
        except self.ddb.exceptions.ResourceNotFoundException:
            return False
        return True

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self.s3.head_bucket(Bucket=bucket)
        except self.s3.exceptions.ClientError:
            return False
        return True

    def snapshot(self, table: str, buckets: list[str]) -> dict:
        items = {}
        keys = [k["AttributeName"] for k in self.ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
        for page in self.ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page["Items"]:
                plain = normalise_item(item)
                items[json.dumps({k: plain[k] for k in keys}, sort_keys=True)] = plain
        objects = {}
        for bucket in buckets:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for entry in page.get("Contents", []):
                    got = self.s3.get_object(Bucket=bucket, Key=entry["Key"])
                    body = got["Body"].read()
                    objects[f"{bucket}/{entry['Key']}"] = {
                        "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                        "content_type": got.get("ContentType"), "metadata": got.get("Metadata", {}),
                        "cache_control": got.get("CacheControl"), "content_encoding": got.get("ContentEncoding"),
                        "content_disposition": got.get("ContentDisposition"),
                        "content_language": got.get("ContentLanguage"), "body_text": _text(body)}
        return {"items": items, "objects": objects}


def _lock_id(info: str) -> str:
    try:
        return str(json.loads(info).get("ID", "?"))
    except (ValueError, AttributeError):
        return "unreadable"


def _text(body: bytes) -> str | None:
    """Small text bodies are kept to check what the deploy wrote into them (the API URL)."""
    if len(body) > 4096:
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


# The user's data: a counter that is not the seed's value, items of every type, enough items
# to fill several batches, and objects of the user's own (strata did not upload them) with
# metadata, an empty one and one whose key needs encoding.
USER_ITEMS = [
    {"stat": {"S": "Quantity"}, "viewCount": {"N": "4242"}},
    {"stat": {"S": "every-type"}, "s": {"S": "héllo wörld ✓ 🚀"}, "n": {"N": "-12345678901234567890.123456789"},
     "b": {"B": bytes([0, 255, 128, 10, 13])}, "ss": {"SS": ["a", "ß", "🚀"]}, "ns": {"NS": ["1", "-2.5", "1E+10"]},
     "bs": {"BS": [b"\x00", b"\xff\xfe"]},
     "m": {"M": {"nested": {"M": {"list": {"L": [{"N": "1"}, {"S": "x"}, {"NULL": True}]}}}}},
     "l": {"L": [{"BOOL": True}, {"BOOL": False}, {"M": {}}, {"L": []}]}, "yes": {"BOOL": True},
     "nothing": {"NULL": True}},
] + [{"stat": {"S": f"bulk-{i:04d}"}, "value": {"N": str(i * 7)}, "tag": {"S": "batch"}} for i in range(120)]

USER_OBJECTS = [
    ("site", "user/blob.bin", dict(Body=bytes(range(256)) * 64, ContentType="application/octet-stream",
                                   Metadata={"owner": "user", "purpose": "kill-sweep"})),
    ("site", "user/report.json", dict(Body=b'{"visits": 4242}', ContentType="application/json",
                                      CacheControl="no-cache", ContentDisposition="inline",
                                      Metadata={"generated-by": "kill-sweep"})),
    # No "+" or "%" in a key: the emulator's ListObjectVersions ignores encoding-type=url, so the
    # provider's force_destroy decodes such a key into another and never empties the bucket.
    ("site", "user/ünïcode name.txt", dict(Body="çà et là\n".encode(), ContentType="text/plain; charset=utf-8",
                                           ContentLanguage="fr")),
    ("site", "user/empty.txt", dict(Body=b"", ContentType="text/plain")),
    ("logs", "cf/E2EXAMPLE.2026-11-22-10.abcd1234.gz", dict(Body=b"\x1f\x8b\x08\x00fake-log",
                                                            ContentType="application/x-gzip",
                                                            ContentEncoding="gzip")),
]


# ---------------------------------------------------------------------------------------------
# The sweep: environments, each with its emulator, running rounds
# ---------------------------------------------------------------------------------------------

class Abort(Exception):
    """strata failed in a way that leaves the environment unknown: its later rounds would prove nothing."""


@dataclass
class Step:
    env: str
    round: int
    playbook: str
    point: str = ""
    killed: str = ""
    left: str = ""
    recovery: list[str] = field(default_factory=list)
    result: str = "ok"
    seconds: float = 0.0


class Sweep:
    """What the environments share: the seed, the points (published per playbook as soon as its
    calibrated run ends), the rounds still to run, and what was found."""

    def __init__(self, args, seed: int, kill: list[str], work: Path):
        self.args, self.seed, self.kill, self.work = args, seed, kill, work
        self.lock = threading.Lock()
        self.points: dict[str, list[Point]] = {}
        self.published = {playbook: threading.Event() for playbook in kill}
        self.calibration_failed = threading.Event()
        self.pending = list(range(1, args.points + 1))
        self.steps: list[Step] = []
        self.rounds: list[dict] = []
        self.findings: list[dict] = []
        self.stopping = threading.Event()
        self.environments: list[Environment] = []

    def say(self, env: str, text: str) -> None:
        prefix = f"[{env}] " if self.args.parallel > 1 else ""
        with self.lock:
            for line in text.splitlines() or [""]:
                print(f"{prefix}{line}", flush=True)

    def publish(self, playbook: str, timeline: list[tuple[float, str]], seconds: float) -> None:
        points = choose_points(playbook, timeline, seconds, self.args.points, self.seed)
        with self.lock:
            self.points[playbook] = points
            print(f"kill_sweep: {playbook} points (calibrated run: {len(timeline)} tasks, {seconds} s, seed {self.seed})",
                  flush=True)
            for point in points:
                print(f"  {playbook} {point.index}: {point.label()} (at {point.at} s)", flush=True)
        self.published[playbook].set()

    def point(self, playbook: str, number: int) -> Point | None:
        """Round ``number``'s point of ``playbook``, once its calibration has published it."""
        if playbook not in self.kill or number == 0:
            return None
        while not self.published[playbook].wait(1.0):
            if self.calibration_failed.is_set() or self.stopping.is_set():
                raise Abort("no points: the calibration round did not finish")
        return self.points[playbook][number - 1]

    def next_round(self) -> int | None:
        with self.lock:
            return self.pending.pop(0) if self.pending else None

    def record(self, kind: str, value) -> None:
        with self.lock:
            getattr(self, kind).append(value)


class Environment:
    """One emulator of its own, with the sweep's inventory, working copies and backups."""

    def __init__(self, sweep: Sweep, name: str, endpoint: str | None):
        self.sweep, self.name = sweep, name
        self.work = sweep.work / name if sweep.args.parallel > 1 else sweep.work
        self.logs = self.work / "logs"
        self.inventory = self.work / "inventory"
        self.backups = self.work / "backups"
        self.own_emulator = endpoint is None
        self.endpoint = endpoint or f"http://127.0.0.1:{_free_port()}"
        self.runs = 0
        self.current: subprocess.Popen | None = None
        self.aws: Aws | None = None
        self.names: dict = {}
        self.full: dict = {}
        self.snapshot: dict = {}
        self.deploy_owned: frozenset[str] = frozenset()

    # -- setting up ---------------------------------------------------------------------------

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.own_emulator:
            _emulator(self.endpoint, self.work / "emulator", "start")
        self.aws = Aws(self.endpoint)
        self._write_inventory()

    def stop(self) -> None:
        if self.current is not None and self.current.poll() is None:
            wait_gone(signal_tree(self.current.pid, signal.SIGKILL))
        if self.own_emulator:
            _emulator(self.endpoint, self.work / "emulator", "stop")

    def _write_inventory(self) -> None:
        """The local inventory's settings (linked), with the sweep's project name, working copies
        and backup root; a held lock is not waited for (terraform_layer_lock_timeout 0)."""
        (self.inventory / "host_vars").mkdir(parents=True, exist_ok=True)
        for name in ("hosts.yml", "group_vars"):
            link = self.inventory / name
            if not link.exists():
                link.symlink_to(ROOT / "inventories" / "local" / name)
        (self.inventory / "host_vars" / "local.yml").write_text(
            "---\n# Written by tools/dev/kill_sweep.py\n"
            f"project_name: {PROJECT}\nstrata_work_root: {self.work / 'work'}\nbackup_root: {self.backups}\n"
            "# A killed run's lock is released by hand: waiting 300 s for it proves nothing.\n"
            "terraform_layer_lock_timeout: 0\n")

    def env(self, result_format: str) -> dict:
        env = dict(os.environ)
        env.update(AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION=REGION, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1",
                   ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_CALLBACK_RESULT_FORMAT=result_format,
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        env.pop("ANSIBLE_INVENTORY", None)
        return env

    def command(self, playbook: str) -> list[str]:
        """The command the README gives, as a user types it in the project."""
        return ["ansible-playbook", f"playbooks/{playbook}.yml", "-i", str(self.inventory)]

    def result_format(self, round_number: int) -> str:
        if self.sweep.args.result_format != "alternate":
            return self.sweep.args.result_format
        return "yaml" if round_number % 2 == 0 else "json"

    def say(self, text: str) -> None:
        self.sweep.say(self.name, text)

    def run(self, argv: list[str], label: str, round_number: int, point: Point | None = None) -> Run:
        if self.sweep.stopping.is_set():
            raise Abort("the sweep is stopping")
        self.runs += 1
        log = self.logs / f"{self.runs:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', label).strip('-')}.log"
        run = run_command(argv, label=label, log=log, env=self.env(self.result_format(round_number)), cwd=ROOT,
                          point=point, timeout=self.sweep.args.run_timeout,
                          on_start=lambda proc: setattr(self, "current", proc))
        self.current = None
        status = "killed" if run.kill else ("timed out" if run.timed_out else f"exit {run.rc}")
        self.say(f"  {label}: {status} after {run.seconds} s ({log.name})")
        return run

    def finding(self, round_number: int, playbook: str, what: str, run: Run | None = None, lines=None) -> str:
        lines = list(lines if lines is not None else (failure_lines(run.output) if run else []))
        self.sweep.record("findings", {"env": self.name, "round": round_number, "playbook": playbook, "what": what,
                                       "log": run.log if run else "", "output": lines})
        self.say(f"  FINDING: {what}" + (f" ({Path(run.log).name})" if run else "")
                 + "".join(f"\n    | {line}" for line in lines[:20]))
        return what

    def setup(self) -> None:
        self.say(f"kill_sweep: deploying from nothing into {self.endpoint} (project {PROJECT})")
        run = self.run(self.command("deploy"), "setup deploy", 0)
        if run.rc != 0:
            raise Abort(self.finding(0, "deploy", "the first deploy failed", run))
        outputs = {k: v["value"] for k, v in self.aws.state("stateful")["outputs"].items()}
        self.names = {"table": outputs["dynamodb_table_name"], "site": outputs["site_bucket_id"],
                      "logs": outputs["logs_bucket_id"]}
        self.full = {layer: self.aws.resources(layer) for layer in LAYERS}
        for item in USER_ITEMS:
            self.aws.ddb.put_item(TableName=self.names["table"], Item=item)
        for bucket, key, kwargs in USER_OBJECTS:
            self.aws.s3.put_object(Bucket=self.names[bucket], Key=key, **kwargs)
        self.deploy_owned = frozenset(f"{self.names['site']}/{p.stem}" for p in (ROOT / "site").glob("*.j2"))
        self.snapshot = self.take_snapshot()
        (self.work / "snapshot.json").write_text(json.dumps(self.snapshot, indent=1, sort_keys=True))
        self.say(f"kill_sweep: wrote the user's data; snapshot of {len(self.snapshot['items'])} items and "
                 f"{len(self.snapshot['objects'])} objects; resources when deployed: {self.full}")

    def take_snapshot(self) -> dict:
        return self.aws.snapshot(self.names["table"], [self.names["site"], self.names["logs"]])

    # -- checks -------------------------------------------------------------------------------

    def what_is_left(self) -> str:
        held: dict[str, list[str]] = {}
        for lock in self.aws.locks():
            held.setdefault(lock["layer"], []).append(lock["where"])
        parts = ["locks: " + (", ".join(f"{layer} ({' + '.join(where)})" for layer, where in held.items()) or "none")]
        counts = []
        for layer in ("stateful", "stateless"):
            got = self.aws.resources(layer)
            counts.append(f"{layer} {'no state' if got is None else f'{got}/{self.full[layer]}'}")
        parts.append("state: " + ", ".join(counts))
        present = [name for name, there in (("table", self.aws.table_exists(self.names["table"])),
                                            ("site", self.aws.bucket_exists(self.names["site"])),
                                            ("logs", self.aws.bucket_exists(self.names["logs"]))) if there]
        parts.append("present: " + (", ".join(present) or "none"))
        dirs = [d for d in (self.backups / ENV).glob("*") if d.is_dir()] if (self.backups / ENV).is_dir() else []
        partial = [d for d in dirs if not (d / "manifest.json").exists()]
        parts.append(f"backups: {len(dirs) - len(partial)} complete" + (f", {len(partial)} partial" if partial else ""))
        return "; ".join(parts)

    def check_data(self, round_number: int, playbook: str, when: str) -> str:
        try:
            now = self.take_snapshot()
        except Exception as error:  # noqa: BLE001 - a table or bucket that is not there is the finding
            self.finding(round_number, playbook, f"data unreadable {when}: {error}")
            return f"unreadable: {error}"
        differences = compare(self.snapshot, now, self.deploy_owned)
        stateless = self.aws.state("stateless") or {}
        api_url = stateless.get("outputs", {}).get("api_url", {}).get("value", "")
        for key in sorted(self.deploy_owned):
            body = now["objects"].get(key, {}).get("body_text") or ""
            if key in now["objects"] and api_url and api_url not in body:
                differences.append(f"object {key} does not carry the deployed API URL {api_url}")
        if differences:
            self.finding(round_number, playbook, f"data differ {when}: {len(differences)} differences",
                         lines=differences[:40])
            return f"{len(differences)} differences"
        return f"exact ({len(now['items'])} items, {len(now['objects'])} objects)"

    def check_torn_down(self) -> list[str]:
        problems = []
        for layer in ("stateful", "stateless"):
            got = self.aws.resources(layer)
            if got:
                problems.append(f"the {layer} state still holds {got} resources")
        if self.aws.table_exists(self.names["table"]):
            problems.append(f"table {self.names['table']} remains")
        problems += [f"bucket {self.names[b]} remains" for b in ("site", "logs") if self.aws.bucket_exists(self.names[b])]
        return problems

    def report_file(self) -> Path:
        return self.work / "work" / f"{PROJECT}-{ENV}" / "reports" / "deploy.json"

    def deploy_changes(self, run: Run) -> tuple[bool, str]:
        changed = recap_changed(run.output)
        report = json.loads(self.report_file().read_text()) if self.report_file().exists() else {}
        layers = {name: (layer["add"], layer["change"], layer["destroy"])
                  for name, layer in report.get("layers", {}).items()}
        nothing = (run.rc == 0 and changed == 0 and report.get("layers_changed") is False
                   and all(counts == (0, 0, 0) for counts in layers.values()))
        text = f"changed={changed}; " + (", ".join(f"{n} {a}/{c}/{d}" for n, (a, c, d) in layers.items())
                                         or "no report")
        return nothing, text

    # -- recovering as the docs say -----------------------------------------------------------

    def recover(self, number: int, playbook: str, step: Step) -> Run:
        """unlock.yml without a layer; the release commands it printed; the same command again
        (following the release command it prints, should it meet a lock)."""
        held = self.aws.locks()
        listing = self.run(self.command("unlock"), f"r{number} unlock (list) after {playbook}", number)
        printed = unlock_commands(listing.output)
        step.recovery.append(f"unlock.yml: exit {listing.rc}, {len(printed)} command(s)")
        if held and listing.rc == 0:
            step.result = self.finding(number, playbook, f"unlock.yml without a layer exited 0 while {len(held)}"
                                       f" lock(s) were held: {held}", listing)
        elif listing.rc != 0 and not printed:
            step.result = self.finding(number, playbook, "unlock.yml without a layer failed and printed no"
                                       " release command", listing)
        elif not held and listing.rc != 0:
            step.result = self.finding(number, playbook, "unlock.yml without a layer failed while no lock was held",
                                       listing)
        self.release(number, playbook, step, self.choose(number, printed))
        for _ in range(3):
            again = self.run(self.command(playbook), f"r{number} {playbook} again", number)
            step.recovery.append(f"{playbook}.yml again: exit {again.rc}")
            if again.rc == 0:
                return again
            printed = unlock_commands(again.output)
            if not printed:
                step.result = self.finding(number, playbook, f"{playbook}.yml run again after the kill failed", again)
                raise Abort(step.result)
            step.result = self.finding(number, playbook, f"{playbook}.yml run again met a lock that unlock.yml did"
                                       f" not release; it printed {printed}", again)
            self.release(number, playbook, step, self.choose(number, printed))
        raise Abort(f"{playbook}.yml kept meeting locks")

    @staticmethod
    def choose(number: int, printed: list[str]) -> list[str]:
        """Which printed commands to run: each lock's own (even rounds), or the one that releases
        them all at once where it was printed (odd rounds), so that both are exercised."""
        at_once = [command for command in printed if " -e layer=" not in command]
        per_lock = [command for command in printed if " -e layer=" in command]
        if at_once and (number % 2 == 1 or not per_lock):
            return at_once[:1]
        return per_lock

    def release(self, number: int, playbook: str, step: Step, printed: list[str]) -> None:
        for command in printed:
            argv = shlex.split(command)
            inventory = argv[argv.index("-i") + 1]
            if Path(ROOT, inventory).resolve() != self.inventory.resolve():
                step.result = self.finding(number, playbook, f"the printed command names inventory {inventory}, not"
                                           f" the one the run used ({self.inventory})", lines=[command])
            layer = next((a for a in argv if a.startswith("layer=")), "all")
            released = self.run(argv, f"r{number} unlock {layer}", number)
            step.recovery.append(" ".join(["unlock.yml"] + argv[4:]) + f": exit {released.rc}")
            if released.rc != 0:
                step.result = self.finding(number, playbook, f"the printed release command failed: {command}",
                                           released)
        left = self.aws.locks()
        if printed and left:
            step.result = self.finding(number, playbook, f"locks remain after the printed commands: {left}")

    # -- rounds -------------------------------------------------------------------------------

    def step(self, number: int, playbook: str, step: Step, timelines: dict) -> None:
        """One playbook of a round: run it (killed at its point), see what is left, recover."""
        point = self.sweep.point(playbook, number)
        step.point = point.label() if point else ""
        run = self.run(self.command(playbook), f"r{number} {playbook}" + (" (kill)" if point else ""), number, point)
        step.seconds = run.seconds
        if point is None:
            step.killed = "-"
            if run.rc != 0:
                step.result = self.finding(number, playbook, f"the uninterrupted {playbook} failed", run)
                raise Abort(step.result)
            if number == 0:
                timelines[playbook] = (task_starts(run.lines), run.seconds)
                if playbook in self.sweep.kill:
                    self.sweep.publish(playbook, *timelines[playbook])
        elif run.kill is None:
            step.killed = f"not killed: the run ended (exit {run.rc}) before the point"
            if run.rc != 0:
                step.result = self.finding(number, playbook, f"{playbook} failed before its point", run)
                raise Abort(step.result)
        else:
            terraform = any("terraform" in name for name in run.kill.processes)
            step.killed = f"at {run.kill.elapsed} s in {run.kill.task!r}" + (
                " (terraform killed)" if terraform else " (no terraform running)")
            step.left = self.what_is_left()
            self.say(f"  left: {step.left}")
            began = time.monotonic()
            try:
                self.recover(number, playbook, step)
            finally:
                step.seconds = round(run.seconds + time.monotonic() - began, 1)
        if playbook == "teardown":
            problems = self.check_torn_down()
            if problems:
                step.result = self.finding(number, playbook, "after the teardown: " + "; ".join(problems))

    def round(self, number: int) -> None:
        """teardown, deploy and restore, each killed at its point (round 0: none) and recovered;
        then the data, and a deploy that must change nothing."""
        began = time.monotonic()
        if self.backups.exists():
            shutil.move(str(self.backups), str(self.work / f"backups-before-round-{number}"))
        title = "calibration (no kill)" if number == 0 else f"round {number}"
        self.say(f"\nkill_sweep: {title}, results as {self.result_format(number)}")
        timelines: dict = {}
        record = {"env": self.name, "round": number, "data_after_restore": "-", "final_deploy": "-",
                  "data_after_deploy": "-"}
        try:
            for playbook in PLAYBOOKS:
                step = Step(env=self.name, round=number, playbook=playbook)
                try:
                    self.step(number, playbook, step, timelines)
                finally:
                    self.sweep.record("steps", step)
            record["data_after_restore"] = self.check_data(number, "restore", "after the restore")
            self.report_file().unlink(missing_ok=True)
            final = self.run(self.command("deploy"), f"r{number} deploy (must change nothing)", number)
            nothing, changes = self.deploy_changes(final)
            record["final_deploy"] = changes
            if not nothing:
                self.finding(number, "deploy", f"the deploy after the recovery changed something or failed: {changes}",
                             final, lines=failure_lines(final.output) if final.rc else
                             [f"changed: {task}" for task in changed_tasks(final.output)]
                             + [line.strip() for _, line in final.lines if " to add, " in line][:20])
            record["data_after_deploy"] = self.check_data(number, "deploy", "after the final deploy")
        finally:
            record["seconds"] = round(time.monotonic() - began, 1)
            self.sweep.record("rounds", record)
            self.say(f"  round {number}: data after the restore {record['data_after_restore']}; final deploy"
                     f" {record['final_deploy']}; {record['seconds']} s")

    def work_through(self, calibrate: bool) -> None:
        """Set up, calibrate (one environment), then take rounds until none is left."""
        try:
            self.start()
            self.setup()
            if calibrate:
                try:
                    self.round(0)
                except Abort:
                    self.sweep.calibration_failed.set()
                    raise
            while (number := self.sweep.next_round()) is not None:
                self.round(number)
        except Abort as stop:
            if calibrate:
                self.sweep.calibration_failed.set()
            self.say(f"kill_sweep: environment {self.name} stopped: {stop}")
            self.sweep.record("findings", {"env": self.name, "round": None, "playbook": None,
                                           "what": f"environment {self.name} stopped: {stop}", "log": "", "output": []})
        except Exception as error:  # noqa: BLE001 - a fault of the sweep itself, reported as such
            if calibrate:
                self.sweep.calibration_failed.set()
            self.say(f"kill_sweep: environment {self.name} failed: {error!r}")
            self.sweep.record("findings", {"env": self.name, "round": None, "playbook": None,
                                           "what": f"the sweep's own error in {self.name}: {error!r}", "log": "",
                                           "output": []})


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _emulator(endpoint: str, state_dir: Path, action: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "tools" / "dev"),
                                                                    os.environ.get("PYTHONPATH", "")])))
    subprocess.run([sys.executable, "-m", "strata_emulator", "--endpoint", endpoint, "--state-dir", str(state_dir),
                    action], check=True, env=env)


def print_table(sweep: Sweep) -> None:
    order = {name: i for i, name in enumerate(PLAYBOOKS)}
    print("\n| env | round | playbook | point | killed | left after the kill | recovery | result | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for step in sorted(sweep.steps, key=lambda s: (s.round, s.env, order[s.playbook])):
        print(f"| {step.env} | {step.round} | {step.playbook} | {step.point or '-'} | {step.killed or '-'} |"
              f" {step.left or '-'} | {'; '.join(step.recovery) or '-'} | {step.result} | {step.seconds} |")
    print("\n| env | round | data after the restore | final deploy (changed; layer add/change/destroy) | data after it | s |")
    print("|---|---|---|---|---|---|")
    for record in sorted(sweep.rounds, key=lambda r: r["round"]):
        print(f"| {record['env']} | {record['round']} | {record['data_after_restore']} | {record['final_deploy']} |"
              f" {record['data_after_deploy']} | {record['seconds']} |")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=2, help="kill points per playbook (default %(default)s)")
    parser.add_argument("--seed", type=int, help="seed of the points (default: a new one, printed)")
    parser.add_argument("--kill", default=",".join(PLAYBOOKS),
                        help="playbooks to kill, comma-separated (default: %(default)s); the others run whole")
    parser.add_argument("--parallel", type=int, default=2,
                        help="environments (each its own emulator) running rounds side by side (default %(default)s)")
    parser.add_argument("--endpoint", help="use this emulator (only with --parallel 1; default: start one on a free"
                        " port and stop it at the end)")
    parser.add_argument("--work-dir", type=Path, help="where the inventory, working copies, backups and logs go"
                        " (default: .strata/kill-sweep/<time>-seed<seed>)")
    parser.add_argument("--result-format", choices=["yaml", "json", "alternate"], default="alternate",
                        help="Ansible's result format (alternate: yaml in even rounds, json in odd ones)")
    parser.add_argument("--run-timeout", type=float, default=1800.0, help="seconds any one run may take")
    parser.add_argument("--keep", action="store_true", help="keep the working copies and backups (logs are kept)")
    args = parser.parse_args(argv)
    if args.points < 1:
        parser.error(f"--points must be at least 1, got {args.points}")
    if args.parallel < 1 or (args.endpoint and args.parallel != 1):
        parser.error(f"--parallel must be at least 1, and 1 with --endpoint (got {args.parallel})")
    # One environment calibrates; more than one per round would only set up for nothing.
    args.parallel = min(args.parallel, args.points + 1)
    kill = [name.strip() for name in args.kill.split(",") if name.strip()]
    unknown = sorted(set(kill) - set(PLAYBOOKS))
    if unknown or not kill:
        parser.error(f"--kill {args.kill!r}: expected some of {', '.join(PLAYBOOKS)}")
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # Cancelled (Ctrl-C, or SIGTERM from CI or molecule): the finally below kills the runs in
    # progress and stops the emulators, even where the shell started the sweep ignoring SIGINT.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    work = (args.work_dir or ROOT / ".strata" / "kill-sweep" / f"{stamp}-seed{seed}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    again = f"--points {args.points} --seed {seed}" + ("" if args.kill == ",".join(PLAYBOOKS) else f" --kill {args.kill}")
    print(f"kill_sweep: seed {seed}, {args.points} point(s) per playbook, killing {', '.join(kill)}, in"
          f" {args.parallel} environment(s) (again: make kill-sweep KILL_SWEEP_ARGS='{again}'); work dir {work}",
          flush=True)
    began = time.monotonic()
    sweep = Sweep(args, seed, kill, work)
    sweep.environments = [Environment(sweep, "abcdefghijklmnopqrstuvwxyz"[i], args.endpoint)
                          for i in range(args.parallel)]
    workers = [threading.Thread(target=env.work_through, args=(i == 0,), daemon=True)
               for i, env in enumerate(sweep.environments)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(0.5)
    finally:
        sweep.stopping.set()
        for env in sweep.environments:
            try:
                env.stop()
            except (subprocess.CalledProcessError, OSError) as error:
                print(f"kill_sweep: stopping environment {env.name}: {error}", flush=True)
        if not args.keep:
            for env in sweep.environments:
                for leftover in [env.work / "work", *env.work.glob("backups*")]:
                    shutil.rmtree(leftover, ignore_errors=True)
    print_table(sweep)
    seconds = round(time.monotonic() - began, 1)
    report = {"seed": seed, "points": args.points, "kill": kill, "parallel": args.parallel, "seconds": seconds,
              "runs": sum(env.runs for env in sweep.environments),
              "steps": [asdict(step) for step in sweep.steps], "rounds": sweep.rounds,
              "points_chosen": {pb: [asdict(p) for p in points] for pb, points in sweep.points.items()},
              "findings": sweep.findings}
    (work / "kill-sweep.json").write_text(json.dumps(report, indent=1, default=str))
    per_round = [r["seconds"] for r in sweep.rounds if r["round"]]
    done = sum(1 for r in sweep.rounds if r["round"])
    print(f"\nkill_sweep: seed {seed}; {done} of {args.points} round(s) with kills in {seconds} s"
          + (f" ({sum(per_round) / len(per_round):.0f} s per round)" if per_round else "")
          + f"; {len(sweep.findings)} finding(s); report {work / 'kill-sweep.json'}", flush=True)
    for finding in sweep.findings:
        print(f"  - {finding['env']} round {finding['round']} {finding['playbook']}: {finding['what']}")
    return 1 if sweep.findings or done < args.points else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
