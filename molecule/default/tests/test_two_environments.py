"""After one run over two inventories: both environments deployed side by side, each with its
own state keys, tables and working copies, and the counter of the first untouched."""
from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import PROJECT


def test_each_environment_has_its_own_states(session, state_bucket):
    s3 = session.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=state_bucket)["Contents"]}
    for env in ("local", "second"):
        for layer in ("stateful", "stateless"):
            key = f"{env}/{layer}/terraform.tfstate"
            assert key in keys, f"{key} missing from {sorted(keys)}"
            state = json.loads(s3.get_object(Bucket=state_bucket, Key=key)["Body"].read())
            assert state["resources"], f"{key} holds no resources"


def test_each_environment_has_its_own_table(session):
    tables = session.client("dynamodb").list_tables()["TableNames"]
    assert {f"{PROJECT}-visits-local", f"{PROJECT}-visits-second"} <= set(tables)


def test_the_first_environments_counter_was_not_touched(session):
    item = session.client("dynamodb").get_item(TableName=f"{PROJECT}-visits-local", Key={"stat": {"S": "Quantity"}})
    assert item["Item"]["viewCount"]["N"] == "41"


def test_each_environment_has_its_own_working_copies():
    root = Path(os.environ["STRATA_WORK_ROOT"])
    for env in ("local", "second"):
        for layer in ("bootstrap", "stateful", "stateless"):
            backend = (root / f"{PROJECT}-{env}" / layer / "backend.tf").read_text()
            if layer != "bootstrap":
                assert f'key            = "{env}/{layer}/terraform.tfstate"' in backend, backend
