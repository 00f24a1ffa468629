"""What the plan-bundle checks read from the emulator: the logs bucket's expiration days and
the serial and lineage of each layer's state. Prints one JSON object."""
from __future__ import annotations

import json

import boto3

PROJECT, ENV, REGION = "molecule", "local", "us-east-1"


def main():
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    account = session.client("sts").get_caller_identity()["Account"]
    s3 = session.client("s3")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=f"{PROJECT}-logs-{ENV}")["Rules"]
    days = sorted(rule["Expiration"]["Days"] for rule in rules if "Days" in rule.get("Expiration", {}))
    states = {}
    for layer in ("stateful", "stateless"):
        body = s3.get_object(Bucket=f"{PROJECT}-tfstate-{account}", Key=f"{ENV}/{layer}/terraform.tfstate")["Body"]
        state = json.load(body)
        states[layer] = {"serial": state["serial"], "lineage": state["lineage"]}
    print(json.dumps({"logs_expiration_days": days, "states": states}))


if __name__ == "__main__":
    main()
