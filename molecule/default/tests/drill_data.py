"""What the restore drills of the default scenario (drill.yml) do and check with boto3 behind strata's back.

    drill_data.py write-items              a few hundred items of every DynamoDB type into the visits table and a
                                           few objects of the user's own into the site bucket; prints the counts
    drill_data.py live-snapshot FILE       the visits table's items and the site bucket's objects (bytes' SHA-256, headers,
                                           metadata, version id) written to FILE
    drill_data.py live-compare FILE        exit 1 naming what differs from that snapshot
    drill_data.py plant-drill-leftovers    a table and a bucket as a killed drill leaves them (prefixed and tagged), and an
                                           untagged table of the same prefix; prints their names
    drill_data.py scratch                  the drill's tagged scratch tables and buckets, as JSON; exit 1 when there is none
    drill_data.py check-no-drill [KEEP]    no table or bucket of the drill prefix is left (except KEEP, the untagged one)
    drill_data.py damage-backup DIR        flip a byte of one object file; change an item in the table file and rewrite
                                           the file's size and SHA-256 in the manifest; prints the object's key
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

import boto3

REGION = "us-east-1"
SITE = "molecule-site-local"
VISITS = "molecule-visits-local"
DRILL_PREFIX = "molecule-drill-local-"
DRILL_TAG = {"Key": "strata:drill", "Value": "local"}


def clients():
    return boto3.client("s3", region_name=REGION), boto3.client("dynamodb", region_name=REGION)


def items():
    """Items of every attribute type DynamoDB has, and a few hundred plain ones."""
    every_type = [{
        "stat": {"S": f"every-type-{i}"},
        "s": {"S": f"héllo wörld ✓ 🚀 {i}"},
        "n": {"N": f"-12345678901234567890.12345678{i}"},
        "b": {"B": bytes([0, 255, 128, 10, 13, i])},
        "ss": {"SS": ["a", "ß", "🚀", str(i)]},
        "ns": {"NS": ["1", "-2.5", "1E+10", str(i + 2)]},
        "bs": {"BS": [b"\x00", b"\xff\xfe", bytes([i + 1])]},
        "m": {"M": {"nested": {"M": {"list": {"L": [{"N": str(i)}, {"S": "x"}, {"NULL": True}]}}}}},
        "l": {"L": [{"BOOL": True}, {"BOOL": False}, {"M": {}}, {"L": []}]},
        "yes": {"BOOL": i % 2 == 0},
        "nothing": {"NULL": True},
    } for i in range(20)]
    return every_type + [{"stat": {"S": f"drill-{i:04d}"}, "value": {"N": str(i * 7)}} for i in range(300)]


def write_items():
    s3, ddb = clients()
    written = items()
    for start in range(0, len(written), 25):
        ddb.batch_write_item(RequestItems={VISITS: [{"PutRequest": {"Item": item}} for item in written[start:start + 25]]})
    objects = {f"drill/object-{i}.bin": bytes(range(256)) * (i + 1) for i in range(5)}
    for key, body in objects.items():
        s3.put_object(Bucket=SITE, Key=key, Body=body, ContentType="application/octet-stream",
                      Metadata={"written-by": "drill-scenario"})
    print(json.dumps({"items": len(written), "objects": len(objects)}))


def live_snapshot():
    s3, ddb = clients()
    found = []
    for page in ddb.get_paginator("scan").paginate(TableName=VISITS, ConsistentRead=True):
        found.extend(repr(sorted(item.items())) for item in page["Items"])
    objects = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=SITE):
        for version in page.get("Versions", []):
            got = s3.get_object(Bucket=SITE, Key=version["Key"], VersionId=version["VersionId"])
            objects[f"{version['Key']}@{version['VersionId']}"] = {
                "sha256": hashlib.sha256(got["Body"].read()).hexdigest(), "type": got.get("ContentType"),
                "metadata": got.get("Metadata"), "latest": version["IsLatest"]}
    table = ddb.describe_table(TableName=VISITS)["Table"]
    return {"items": sorted(found), "objects": objects,
            "table": {k: table.get(k) for k in ("KeySchema", "TableArn", "CreationDateTime")}}


def plant_drill_leftovers():
    s3, ddb = clients()
    tagged, untagged = f"{DRILL_PREFIX}19990101t000000z", f"{DRILL_PREFIX}not-a-drill"
    schema = {"KeySchema": [{"AttributeName": "stat", "KeyType": "HASH"}],
              "AttributeDefinitions": [{"AttributeName": "stat", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
    ddb.create_table(TableName=tagged, Tags=[DRILL_TAG], **schema)
    ddb.create_table(TableName=untagged, **schema)
    s3.create_bucket(Bucket=tagged)
    s3.put_bucket_tagging(Bucket=tagged, Tagging={"TagSet": [DRILL_TAG]})
    s3.put_object(Bucket=tagged, Key="half-restored.html", Body=b"<p>left by a killed drill</p>")
    print(json.dumps({"tagged": tagged, "untagged": untagged}))


def scratch():
    """The tagged drill tables and buckets that exist now."""
    s3, ddb = clients()
    tables = [name for name in ddb.list_tables()["TableNames"] if name.startswith(DRILL_PREFIX)
              and DRILL_TAG in ddb.list_tags_of_resource(
                  ResourceArn=ddb.describe_table(TableName=name)["Table"]["TableArn"]).get("Tags", [])]
    buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"] if bucket["Name"].startswith(DRILL_PREFIX)]
    return {"tables": tables, "buckets": buckets}


def check_no_drill(keep):
    s3, ddb = clients()
    tables = [t for t in ddb.list_tables()["TableNames"] if t.startswith(DRILL_PREFIX) and t not in keep]
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(DRILL_PREFIX)]
    assert not tables and not buckets, f"drill resources left: tables {tables}, buckets {buckets}"
    for table in keep:
        ddb.delete_table(TableName=table)


def damage_backup(directory):
    backup = Path(directory)
    manifest = json.loads((backup / "manifest.json").read_text())
    site = next(b for b in manifest["buckets"] if b["name"] == SITE)
    with gzip.open(backup / site["index"], "rt", encoding="utf-8") as handle:
        obj = next(o for o in map(json.loads, handle) if o["size"] > 0)
    data = bytearray((backup / obj["file"]).read_bytes())
    data[len(data) // 2] ^= 0x01
    (backup / obj["file"]).write_bytes(bytes(data))
    entry = next(t for t in manifest["tables"] if t["name"] == VISITS)
    path = backup / entry["file"]
    lines = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    changed = next(line for line in lines if line["Item"]["stat"] == {"S": "Quantity"})
    changed["Item"]["viewCount"] = {"N": str(int(changed["Item"]["viewCount"]["N"]) + 1000)}
    body = gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())
    path.write_bytes(body)
    entry.update(bytes=len(body), sha256=hashlib.sha256(body).hexdigest())
    (backup / "manifest.json").write_text(json.dumps(manifest, indent=2))
    print(obj["key"])


def main(argv):
    command = argv[0] if argv else ""
    if command == "write-items":
        write_items()
    elif command == "live-snapshot":
        Path(argv[1]).write_text(json.dumps(live_snapshot(), default=str, sort_keys=True))
    elif command == "live-compare":
        before, after = json.loads(Path(argv[1]).read_text()), json.loads(json.dumps(live_snapshot(), default=str))
        different = [part for part in before if before[part] != after[part]]
        assert not different, f"the live {', '.join(different)} changed during the drills"
    elif command == "plant-drill-leftovers":
        plant_drill_leftovers()
    elif command == "scratch":
        found = scratch()
        print(json.dumps(found))
        raise SystemExit(0 if found["tables"] or found["buckets"] else 1)
    elif command == "check-no-drill":
        check_no_drill(argv[1:])
    elif command == "damage-backup":
        damage_backup(argv[1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
