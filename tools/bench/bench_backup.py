"""Benchmark strata's backup and restore against the local emulator, beside the seed docs'
own commands (``aws dynamodb scan ... > file``, ``aws s3 sync``) on the same data.

    python tools/bench_backup.py [--items 100000] [--objects 200] [--endpoint URL]
    python tools/bench_backup.py --vault-only [--repeats 3] ...   backup vault against local only
    python tools/bench/bench_backup.py --methods --items 20000 200000 [--repeats 3] ...
                                                   stream against export, per size

Without ``--endpoint`` it starts the emulator in this process. It creates a table and a
bucket, then runs every step in its own child process and records the child's peak RSS
(VmHWM); the "raw boto3" rows are the emulator's own ceiling (a paginated Scan or GET
that keeps nothing). The emulator is one process, so parallelism cannot speed it up
(README, "The local emulator"): compare rows with each other, not with real AWS.

A second table compares a whole backup (export, copy, manifest, verify) written locally with
the same backup streamed into the backup vault (an S3 bucket: uploaded, manifest last, read
back), and a whole restore (verify, table, bucket) from the local copy with one from the vault
(chosen, downloaded, verified, restored), each ``--repeats`` times on the same data: median
and range.

``--methods`` compares, for each ``--items`` count, a whole backup into the vault and a whole
restore from it by each method: ``stream`` (every item scanned and every object downloaded
through this machine, then uploaded) and ``export`` (DynamoDB's ExportTableToPointInTime
straight into the vault, objects copied server-side, verified and restored where they are),
each against the raw boto3 rate (a paginated Scan and GET of everything, kept nowhere)
measured in the same run; median and range of ``--repeats`` runs, and each step's peak RSS
(the largest of the runs), so that memory can be compared between sizes.

Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "collections"), str(REPO / "tools" / "dev")]

MIB = 1024 * 1024


# --- steps (run in a child process each) ---------------------------------------------------


def step(args):
    """Run one measured step; print its JSON result."""
    from ansible_collections.strata.aws.plugins.module_utils import backup_dynamodb, backup_manifest, backup_s3, backup_s3_restore, dynamodb_table
    from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client

    ddb, s3 = aws_client("dynamodb", pool_size=16), aws_client("s3", pool_size=16)
    source = {"account": "bench", "region": "us-east-1", "endpoint_url": args.endpoint}
    name = args.step
    if name == "baseline":
        ddb.describe_table(TableName=args.table)
        result = {}
    elif name == "raw-scan":
        count = sum(len(page["Items"]) for page in dynamodb_table.scan_pages(ddb, args.table))
        result = {"items": count}
    elif name.startswith("export"):
        exported = backup_dynamodb.export_table(ddb, args.table, args.dir, source, segments=args.segments)
        result = {"items": exported["item_count"], "file_bytes": exported["bytes"]}
    elif name == "s3-backup":
        backed = backup_s3.backup_bucket(s3, args.bucket, args.dir, source, previous=args.previous,
                                         concurrency=args.concurrency)
        result = {"objects": backed["object_count"], "bytes": backed["bytes"],
                  "downloaded_bytes": backed["downloaded_bytes"]}
    elif name == "manifest":
        backup_manifest.write_manifest(args.dir, "bench", [args.table], [args.bucket])
        result = {}
    elif name == "verify":
        backup_manifest.verify(args.dir)
        result = {}
    elif name.startswith("restore"):
        restored = backup_dynamodb.restore_table(ddb, args.dir, table=args.target, mode=args.mode,
                                                 concurrency=args.concurrency)
        result = {"items": restored["item_count"], "written": restored["restored"]}
    elif name == "s3-restore":
        restored = backup_s3_restore.restore_bucket(s3, args.dir, bucket=args.target, concurrency=args.concurrency)
        result = {"objects": restored["object_count"], "bytes": restored["uploaded_bytes"]}
    elif name == "full-backup":
        from ansible_collections.strata.aws.plugins.module_utils import backup_vault

        backup_dynamodb.export_table(ddb, args.table, args.dir, source)
        backup_s3.backup_bucket(s3, args.bucket, args.dir, source, concurrency=args.concurrency)
        backup_manifest.write_manifest(args.dir, "bench", [args.table], [args.bucket])
        backup_manifest.verify(args.dir)
        result = {}
        if args.vault:
            sent = backup_vault.upload_backup(s3, args.dir, args.vault, f"bench/{os.path.basename(args.dir)}",
                                              concurrency=args.concurrency)
            result = {"files": sent["files"], "bytes": sent["bytes"]}
    elif name == "full-restore":
        from ansible_collections.strata.aws.plugins.module_utils import backup_vault

        src = args.dir
        if args.vault:
            found = backup_vault.find_vault_backup(s3, args.vault, "bench", os.path.basename(args.dir))
            src = backup_vault.fetch_backups(s3, args.vault, found, args.previous, args.concurrency)["dir"]
        backup_manifest.verify(src)
        restored = backup_dynamodb.restore_table(ddb, src, table=args.target, concurrency=4)
        objects = backup_s3_restore.restore_bucket(s3, src, bucket=args.target, concurrency=args.concurrency)
        result = {"items": restored["item_count"], "objects": objects["object_count"]}
    elif name == "method-backup":
        from ansible_collections.strata.aws.plugins.module_utils import backup_export, backup_vault

        prefix = f"bench/{os.path.basename(args.dir)}"
        if args.mode == "export":
            backup_export.export_table_to_vault(ddb, s3, args.table, args.dir, source, args.vault, prefix,
                                                poll_interval=1)
            backup_s3.backup_bucket(s3, args.bucket, args.dir, source, concurrency=args.concurrency,
                                    vault=args.vault, vault_prefix=prefix)
        else:
            backup_dynamodb.export_table(ddb, args.table, args.dir, source)
            backup_s3.backup_bucket(s3, args.bucket, args.dir, source, concurrency=args.concurrency)
        backup_manifest.write_manifest(args.dir, "bench", [args.table], [args.bucket])
        if args.mode != "export":
            backup_manifest.verify(args.dir)
        sent = backup_vault.upload_backup(s3, args.dir, args.vault, prefix, concurrency=args.concurrency)
        if args.mode == "export":
            backup_manifest.verify(sent["uri"].rstrip("/"), s3=s3, concurrency=args.concurrency)
        result = {"files": sent["files"], "bytes": sent["bytes"]}
    elif name == "method-restore":
        uri = f"s3://{args.vault}/bench/{os.path.basename(args.dir)}"
        backup_manifest.verify(uri, s3=s3, concurrency=args.concurrency)
        restored = backup_dynamodb.restore_table(ddb, uri, table=args.target, concurrency=4, s3=s3)
        objects = backup_s3_restore.restore_bucket(s3, uri, bucket=args.target, concurrency=args.concurrency)
        result = {"items": restored["item_count"], "objects": objects["object_count"]}
    elif name == "raw-both":
        def drain(key):
            body = s3.get_object(Bucket=args.bucket, Key=key)["Body"]
            return sum(len(chunk) for chunk in body.iter_chunks(MIB))

        count = sum(len(page["Items"]) for page in dynamodb_table.scan_pages(ddb, args.table))
        keys = [obj["Key"] for obj in backup_s3.list_objects(s3, args.bucket)]
        with ThreadPoolExecutor(args.concurrency) as pool:
            result = {"items": count, "objects": len(keys), "bytes": sum(pool.map(drain, keys))}
    elif name == "raw-get":
        def get(key):
            body = s3.get_object(Bucket=args.bucket, Key=key)["Body"]
            return sum(len(chunk) for chunk in body.iter_chunks(MIB))

        keys = [obj["Key"] for obj in backup_s3.list_objects(s3, args.bucket)]
        with ThreadPoolExecutor(args.concurrency) as pool:
            result = {"objects": len(keys), "bytes": sum(pool.map(get, keys))}
    else:
        raise SystemExit(f"unknown step {name!r}")
    print(json.dumps(result))


# --- the driver ---------------------------------------------------------------------------


def _high_water_mib(pid):
    """VmHWM of a running process in MiB (0 once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(command, stdout=None):
    """Run ``command``; return (seconds, its peak RSS in MiB, its stdout text).

    The peak is the child's VmHWM, polled every 20 ms until it exits. (``wait4``'s
    ru_maxrss would not do: Linux carries the parent's RSS at fork into the child's
    maximum, and the parent here holds the emulator's data.)
    """
    with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=stdout or output, stderr=errors)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _high_water_mib(proc.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(map(str, command))} failed:\n{errors.read().decode(errors='replace')}")
        output.seek(0)
        return seconds, peak, output.read().decode()


def run_step(args, name, **options):
    command = [sys.executable, __file__, "--step", name, "--endpoint", args.endpoint,
               "--table", args.table, "--bucket", args.bucket]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    seconds, rss, out = measure(command)
    return seconds, rss, json.loads(out)


def seed(endpoint, items, objects, object_size, large_objects, large_size):
    """Create the table and the bucket; return (table, bucket, typed JSON bytes of the items)."""
    from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client
    from ansible_collections.strata.aws.plugins.module_utils.dynamodb_table import encode_item

    ddb, s3 = aws_client("dynamodb", endpoint_url=endpoint, pool_size=8), aws_client("s3", endpoint_url=endpoint)
    suffix = uuid.uuid4().hex[:8]
    table, bucket = f"bench-{suffix}", f"bench-{suffix}"
    ddb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )

    def item(i):
        return {
            "pk": {"S": f"visit#{i:09d}"},
            "count": {"N": str(i * 7)},
            "ratio": {"N": f"{i / 3:.20f}"},
            "page": {"S": f"/articles/{i % 997}/zażółć-{i % 13}"},
            "digest": {"B": os.urandom(16)},
            "tags": {"SS": [f"t{i % 5}", f"t{i % 7 + 5}"]},
            "meta": {"M": {"ok": {"BOOL": i % 2 == 0}, "none": {"NULL": True},
                           "hist": {"L": [{"N": str(i % 10)}, {"N": str(i % 100)}]}}},
        }

    def write(start):
        batch = [item(i) for i in range(start, min(start + 25, items))]
        requests = {table: [{"PutRequest": {"Item": it}} for it in batch]}
        while requests:
            requests = ddb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
        return sum(len(json.dumps(encode_item(it))) + 1 for it in batch)

    with ThreadPoolExecutor(8) as pool:
        data_bytes = sum(pool.map(write, range(0, items, 25)))

    s3.create_bucket(Bucket=bucket)
    sizes = [object_size] * objects + [large_size] * large_objects
    for i, size in enumerate(sizes):
        s3.put_object(Bucket=bucket, Key=f"objects/{i:05d}.bin", Body=os.urandom(size),
                      ContentType="application/octet-stream", Metadata={"n": str(i)})
    return table, bucket, data_bytes


def create_targets(endpoint, table):
    """An empty table and two empty buckets to restore into."""
    from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client

    ddb, s3 = aws_client("dynamodb", endpoint_url=endpoint), aws_client("s3", endpoint_url=endpoint)
    restored_table = f"{table}-restore"
    ddb.create_table(
        TableName=restored_table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    buckets = (f"{table}-restore", f"{table}-sync")
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)
    return (restored_table, *buckets)


def drive(args):
    work = Path(tempfile.mkdtemp(prefix="strata-bench-"))
    server = None
    if args.endpoint is None:
        from strata_emulator import launcher

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = launcher.start_in_thread("127.0.0.1", port)
        args.endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(AWS_ENDPOINT_URL=args.endpoint, AWS_DEFAULT_REGION="us-east-1",
                      AWS_ACCESS_KEY_ID=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                      AWS_SECRET_ACCESS_KEY=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))
    try:
        if args.methods:
            report_methods(args, work)
            return
        args.items = args.items[0]
        print(f"seeding {args.items} items and {args.objects}+{args.large_objects} objects ...", file=sys.stderr)
        started = time.perf_counter()
        args.table, args.bucket, data_bytes = seed(
            args.endpoint, args.items, args.objects, args.object_size, args.large_objects, args.large_size)
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if not args.vault_only:
            report(args, work, data_bytes)
        report_vault(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:
            server.stop()


def report(args, work, data_bytes):
    rows = []
    target_table, target_bucket, sync_bucket = create_targets(args.endpoint, args.table)
    aws = shutil.which("aws")
    aws_base = [aws, "--endpoint-url", args.endpoint, "--region", "us-east-1"] if aws else None

    def row(label, seconds, rss, items=None, nbytes=None):
        rows.append((label, seconds, rss, items, nbytes))
        print(f"  {label}: {seconds:.1f} s", file=sys.stderr)

    base_seconds, base_rss, _ = run_step(args, "baseline")
    row("python + boto3 baseline (child process)", base_seconds, base_rss)

    backup = work / "backup"
    seconds, rss, out = run_step(args, "raw-scan")
    row("DynamoDB raw boto3 Scan, items dropped", seconds, rss, out["items"], data_bytes)
    seconds, rss, out = run_step(args, "export", dir=backup, segments=1)
    row("DynamoDB strata export (segments=1)", seconds, rss, out["items"], data_bytes)
    file_bytes = out["file_bytes"]
    seconds, rss, out = run_step(args, "export-segmented", dir=work / "seg", segments=4)
    row("DynamoDB strata export (segments=4)", seconds, rss, out["items"], data_bytes)
    if aws_base:
        with open(work / "scan.json", "wb") as sink:
            seconds, rss, _ = measure(aws_base + ["dynamodb", "scan", "--table-name", args.table], stdout=sink)
        row("DynamoDB `aws dynamodb scan > file`", seconds, rss, args.items, data_bytes)
        scan_bytes = (work / "scan.json").stat().st_size

    seconds, rss, out = run_step(args, "raw-get", concurrency=args.concurrency)
    row(f"S3 raw boto3 GET x{args.concurrency}, bodies dropped", seconds, rss, out["objects"], out["bytes"])
    seconds, rss, out = run_step(args, "s3-backup", dir=backup, concurrency=args.concurrency)
    row(f"S3 strata backup (concurrency={args.concurrency})", seconds, rss, out["objects"], out["bytes"])
    seconds, rss, out = run_step(args, "s3-backup", dir=work / "incr", previous=backup,
                                 concurrency=args.concurrency)
    row("S3 strata backup, incremental, nothing changed", seconds, rss, out["objects"], out["bytes"])
    if aws_base:
        seconds, rss, _ = measure(aws_base + ["s3", "sync", "--quiet", f"s3://{args.bucket}", str(work / "sync")])
        row("S3 `aws s3 sync s3://bucket dir`", seconds, rss, args.objects + args.large_objects, out["bytes"])

    run_step(args, "manifest", dir=backup)
    seconds, rss, out = run_step(args, "verify", dir=backup)
    row("strata verify (re-read and hash all files)", seconds, rss)

    seconds, rss, out = run_step(args, "restore-overwrite", dir=backup, target=target_table,
                                 mode="overwrite", concurrency=4)
    row("DynamoDB strata restore, overwrite, empty table", seconds, rss, out["items"], data_bytes)
    seconds, rss, out = run_step(args, "restore-missing", dir=backup, target=args.table, mode="missing",
                                 concurrency=4)
    row("DynamoDB strata restore, missing, all present", seconds, rss, out["items"], data_bytes)
    seconds, rss, out = run_step(args, "s3-restore", dir=backup, target=target_bucket,
                                 concurrency=args.concurrency)
    row(f"S3 strata restore (concurrency={args.concurrency})", seconds, rss, out["objects"], out["bytes"])
    if aws_base:
        seconds, rss, _ = measure(aws_base + ["s3", "sync", "--quiet", str(work / "sync"), f"s3://{sync_bucket}"])
        row("S3 `aws s3 sync dir s3://bucket`", seconds, rss, args.objects + args.large_objects, out["bytes"])

    print_table(args, rows, base_rss, data_bytes, file_bytes, scan_bytes if aws_base else None, aws)


def report_vault(args, work):
    """Whole backups and restores, local against the vault, ``--repeats`` times each."""
    import statistics

    from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client

    ddb, s3 = aws_client("dynamodb", endpoint_url=args.endpoint), aws_client("s3", endpoint_url=args.endpoint)
    vault = f"{args.table}-vault"
    s3.create_bucket(Bucket=vault)
    s3.put_bucket_versioning(Bucket=vault, VersioningConfiguration={"Status": "Enabled"})
    times = {(kind, where): [] for kind in ("backup", "restore") for where in ("local", "vault")}
    counts = {}
    for run in range(args.repeats):
        for where in ("local", "vault"):
            name = f"{where}{run}"
            backup = work / "vault-bench" / "bench" / name
            extra = {"vault": vault} if where == "vault" else {}
            seconds, _rss, _out = run_step(args, "full-backup", dir=backup, concurrency=args.concurrency, **extra)
            times["backup", where].append(seconds)
            target = f"{args.table}-r-{name}"
            ddb.create_table(TableName=target, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
            s3.create_bucket(Bucket=target)
            if where == "vault":
                shutil.rmtree(backup)  # the restore must come from the vault
                extra["previous"] = work / "vault-download" / name
            seconds, _rss, out = run_step(args, "full-restore", dir=backup, target=target,
                                          concurrency=args.concurrency, **extra)
            times["restore", where].append(seconds)
            counts = out
            print(f"  run {run + 1}, {where}: backup {times['backup', where][-1]:.1f} s, "
                  f"restore {seconds:.1f} s", file=sys.stderr)
    print(f"\nbackup vault against local: whole backup (export, copy, manifest, verify"
          f"; vault: + upload, read back) and whole restore (verify, table, bucket; vault: "
          f"+ list, download) of {counts.get('items')} items and {counts.get('objects')} objects, "
          f"{args.repeats} runs each")
    header = f"{'step':<24} {'median s':>9} {'min s':>7} {'max s':>7} {'items/s (median)':>17}"
    print(header)
    print("-" * len(header))
    for (kind, where), values in times.items():
        median = statistics.median(values)
        print(f"{kind + ', ' + where:<24} {median:9.2f} {min(values):7.2f} {max(values):7.2f} "
              f"{counts.get('items', 0) / median:17.0f}")


def report_methods(args, work):
    """Whole backups into the vault and restores from it, stream against export, for each
    item count, ``--repeats`` times each, beside the raw boto3 rate of the same run."""
    import statistics

    from ansible_collections.strata.aws.plugins.module_utils.backup_aws import aws_client

    ddb, s3 = aws_client("dynamodb", endpoint_url=args.endpoint), aws_client("s3", endpoint_url=args.endpoint)
    rows = []
    for items in args.items:
        print(f"seeding {items} items and {args.objects}+{args.large_objects} objects ...", file=sys.stderr)
        args.table, args.bucket, _data_bytes = seed(
            args.endpoint, items, args.objects, args.object_size, args.large_objects, args.large_size)
        ddb.update_continuous_backups(TableName=args.table,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        vault = f"{args.table}-vault"
        s3.create_bucket(Bucket=vault)
        s3.put_bucket_versioning(Bucket=vault, VersioningConfiguration={"Status": "Enabled"})
        measured = {}
        for run in range(args.repeats):
            seconds, rss, _out = run_step(args, "raw-both", concurrency=args.concurrency)
            measured.setdefault("raw boto3 Scan + GET, kept nowhere", []).append((seconds, rss))
            for method in ("stream", "export"):
                name = f"{method}{run}"
                dest = work / f"methods-{items}" / name
                seconds, rss, _out = run_step(args, "method-backup", dir=dest, mode=method, vault=vault,
                                              concurrency=args.concurrency)
                measured.setdefault(f"backup into the vault, {method}", []).append((seconds, rss))
                target = f"{args.table}-r-{name}"
                ddb.create_table(TableName=target, BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
                s3.create_bucket(Bucket=target)
                shutil.rmtree(dest)  # the restore reads the vault only
                seconds, rss, _out = run_step(args, "method-restore", dir=dest, target=target, vault=vault,
                                              concurrency=args.concurrency)
                measured.setdefault(f"restore from the vault, {method}", []).append((seconds, rss))
                print(f"  {items} items, run {run + 1}, {method}: done", file=sys.stderr)
        for label, values in measured.items():
            times = [seconds for seconds, _rss in values]
            rows.append((items, label, statistics.median(times), min(times), max(times),
                         max(rss for _seconds, rss in values)))
    print(f"\nstream against export: {args.objects} x {args.object_size // 1024} KiB + {args.large_objects} x "
          f"{args.large_size // MIB} MiB objects, {args.repeats} runs each; emulator at {args.endpoint}")
    header = (f"{'items':>8} {'step':<38} {'median s':>9} {'min s':>7} {'max s':>7} {'items/s':>8} "
              f"{'x raw':>6} {'peak RSS MiB':>13}")
    print(header)
    print("-" * len(header))
    raw = {items: median for items, label, median, *_rest in rows if label.startswith("raw")}
    for items, label, median, low, high, rss in rows:
        print(f"{items:>8} {label:<38} {median:9.2f} {low:7.2f} {high:7.2f} {items / median:8.0f} "
              f"{median / raw[items]:6.2f} {rss:13.1f}")


def print_table(args, rows, base_rss, data_bytes, file_bytes, scan_bytes, aws):
    print(f"\nstrata backup benchmark: {args.items} items ({data_bytes / MIB:.1f} MiB as typed JSON), "
          f"{args.objects} x {args.object_size // 1024} KiB + {args.large_objects} x "
          f"{args.large_size // MIB} MiB objects; emulator at {args.endpoint}")
    print(f"export file: {file_bytes / MIB:.1f} MiB gzip JSON lines"
          + (f"; `aws dynamodb scan` output: {scan_bytes / MIB:.1f} MiB JSON" if scan_bytes else ""))
    if not aws:
        print("the aws CLI is not installed: its rows are missing")
    header = f"{'step':<52} {'seconds':>8} {'items/s':>9} {'MB/s':>7} {'peak RSS MiB':>13} {'over baseline':>14}"
    print(header)
    print("-" * len(header))
    for label, seconds, rss, count, nbytes in rows:
        rate = f"{count / seconds:9.0f}" if count else f"{'':9}"
        mbps = f"{nbytes / 1e6 / seconds:7.2f}" if nbytes else f"{'':7}"
        print(f"{label:<52} {seconds:8.2f} {rate} {mbps} {rss:13.1f} {rss - base_rss:14.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, nargs="+", default=[100_000],
                        help="items in the table (with --methods, one run per count)")
    parser.add_argument("--objects", type=int, default=200, help="small objects in the bucket")
    parser.add_argument("--object-size", type=int, default=256 * 1024, help="bytes per small object")
    parser.add_argument("--large-objects", type=int, default=2, help="large objects in the bucket")
    parser.add_argument("--large-size", type=int, default=64 * MIB, help="bytes per large object")
    parser.add_argument("--concurrency", type=int, default=8, help="S3 transfer threads")
    parser.add_argument("--endpoint", help="a running emulator (default: start one in this process)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each backup vault comparison")
    parser.add_argument("--vault-only", action="store_true", help="only the backup vault against local")
    parser.add_argument("--methods", action="store_true", help="only stream against export, per --items count")
    # Internal: what a measured child process runs.
    for option in ("--step", "--table", "--bucket", "--dir", "--previous", "--target", "--mode", "--vault"):
        parser.add_argument(option, help=argparse.SUPPRESS)
    parser.add_argument("--segments", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        step(args)
    else:
        drive(args)


if __name__ == "__main__":
    main()
