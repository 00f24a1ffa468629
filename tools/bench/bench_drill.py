"""Measure a restore drill's recovery time (playbooks/drill.yml) for a few table sizes, tables
streamed and imported, on the local emulator.

    python tools/bench/bench_drill.py [--items 1000 20000] [--rounds 3] [--keep]

It starts an emulator of its own (as bench_deploy.py does), deploys ``inventories/local`` with
the backup vault on (``-e backup_vault=true``), then for each ``--items`` count: fills the visits
table to that many items (with boto3; items of a few attributes, some of every type), takes one
backup into the vault (``playbooks/backup.yml``), and runs ``--rounds`` pairs of drills from it,
``restore_method`` ``stream`` (items written by this machine) and ``import`` (DynamoDB's
ImportTable reads the vault), the order flipped every round so that a slow spell of the machine
does not fall on one side only. Each drill must pass. From each drill's ``reports/drill.json`` it
takes the recovery time in all (start to the last verification: scratch resources made,
restored and every item and object compared) and the table's own; it prints the median and
range of both per size and method, with the machine's load.

The emulator is one process on a shared machine: compare the rows with each other, not with
AWS, where ImportTable's time is dominated by its own start-up (minutes) and streaming by the
table's write capacity. Not part of the test suite: exit 0 when it ran, non-zero on any error.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_deploy import REPO, VENV_BIN, Bench, BenchError, execute, load  # noqa: E402  (the emulator and environment)

TABLE = "strata-visits-local"
METHODS = ("stream", "import")


def every_type(i):
    """An item with an attribute of each DynamoDB type."""
    return {"stat": {"S": f"bench-typed-{i}"}, "s": {"S": f"héllo ✓ {i}"}, "n": {"N": f"-{i}.25"},
            "b": {"B": bytes([i % 256, 0, 255])}, "ss": {"SS": ["a", str(i)]}, "ns": {"NS": ["1", str(i + 2)]},
            "bs": {"BS": [b"\x00", bytes([1 + i % 255])]},
            "m": {"M": {"k": {"L": [{"N": str(i)}, {"NULL": True}]}}}, "yes": {"BOOL": i % 2 == 0}}


class DrillBench(Bench):
    def playbook(self, name, *extra, label=""):
        cmd = [str(VENV_BIN / "ansible-playbook"), f"playbooks/{name}.yml", "-i", "inventories/local",
               "-e", f"strata_work_root={self.work_root}", "-e", f"backup_root={self.tmp / 'backups'}",
               "-e", "backup_vault=true", *extra]
        self.runs += 1
        log = self.logs / f"{self.runs:02d}-{name}{'-' + label if label else ''}.log"
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=self.env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        log.write_text(proc.stdout)
        if proc.returncode != 0:
            raise BenchError(f"{name} {label} failed (exit {proc.returncode}); log {log}:\n"
                             + "\n".join(proc.stdout.splitlines()[-30:]))
        return time.perf_counter() - started

    def fill(self, count):
        """The visits table holds ``count`` bench items (and the deploy's seed item)."""
        import boto3

        ddb = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        items = [every_type(i) if i % 50 == 0 else {"stat": {"S": f"bench-{i:07d}"}, "value": {"N": str(i)}}
                 for i in range(count)]
        for start in range(0, len(items), 25):
            request = {TABLE: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
            while request:
                request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        return ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"]

    def drill(self, method, label):
        self.playbook("drill", "-e", "drill_source=vault", "-e", f"restore_method={method}",
                      "-e", "rto_objective_minutes=60", label=label)
        report = json.loads((self.stack_dir / "reports" / "drill.json").read_text())
        if report["outcome"] != "ok" or report["method"] != method:
            raise BenchError(f"drill {label} did not pass by {method}: {report['lines']}")
        table = next(r for r in report["resources"] if r["kind"] == "table")
        return report["rto"]["seconds"], table["seconds"], table["actual"]

    def run(self):
        args = self.args
        print(f"strata bench-drill: items {args.items}, {args.rounds} rounds, emulator {self.endpoint}, tmp {self.tmp}",
              flush=True)
        self.emulator("start")
        seconds = self.playbook("deploy", label="initial")
        print(f"deploy with the vault on: {seconds:.1f} s (load {load()})", flush=True)
        rows = []
        for count in sorted(args.items):
            self.fill(count)
            seconds = self.playbook("backup", label=f"{count}")
            print(f"{count} items: backup into the vault {seconds:.1f} s", flush=True)
            figures = {method: {"all": [], "table": []} for method in METHODS}
            for n in range(args.rounds):
                for method in METHODS if n % 2 == 0 else tuple(reversed(METHODS)):
                    total, table, verified = self.drill(method, f"{count}-{method}-{n + 1}")
                    figures[method]["all"].append(total)
                    figures[method]["table"].append(table)
                    print(f"  round {n + 1} {method:6s} drill {total:6.1f} s, table {table:6.1f} s "
                          f"({verified} items verified; load {load()})", flush=True)
            rows += [(count, method, figures[method]) for method in METHODS]
        self.report(rows)

    def report(self, rows):
        print(f"\nrestore drill, recovery time in seconds ({self.args.rounds} drills each): the whole drill, and its table")
        header = (f"{'items':>8} {'tables by':<9} {'drill median':>12} {'min':>7} {'max':>7} "
                  f"{'table median':>12} {'min':>7} {'max':>7}")
        print(header)
        print("-" * len(header))
        for count, method, figures in rows:
            whole, table = figures["all"], figures["table"]
            print(f"{count:>8} {method:<9} {statistics.median(whole):12.1f} {min(whole):7.1f} {max(whole):7.1f} "
                  f"{statistics.median(table):12.1f} {min(table):7.1f} {max(table):7.1f}")
        print(f"machine load at the end: {load()}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, nargs="+", default=[1000, 20000], help="table sizes (default 1000 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="drills per size and method (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and its logs")
    args = parser.parse_args(argv)
    if args.rounds < 1 or min(args.items) < 1:
        parser.error("--rounds and --items must be at least 1")
    return execute(DrillBench, args, "bench-drill")


if __name__ == "__main__":
    sys.exit(main())
