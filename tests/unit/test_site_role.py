"""The site role against the in-process emulator, three real runs on a copy of the site:

1. every file and the rendered config.js go up, the record of uploaded keys is written,
   CloudFront is invalidated;
2. a file removed from the site is removed from the bucket, an object a user put there stays,
   and the record follows;
3. nothing changed: changed=0, no invalidation, the record is not rewritten.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECAP_CHANGED = "changed="


def run_site(tmp_path: Path, bucket: str, distribution: str, api_url: str) -> subprocess.CompletedProcess:
    playbook = tmp_path / "site.yml"
    playbook.write_text(
        "- hosts: local\n  gather_facts: false\n  roles:\n    - role: site\n"
    )
    extra = {
        "strata_root": str(ROOT),
        "strata_work_dir": str(tmp_path / "work"),
        "site_source_dir": str(tmp_path / "site"),
        "site_bucket": bucket,
        "site_distribution_id": distribution,
        "site_api_url": api_url,
    }
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-i", str(ROOT / "inventories" / "local"),
            "-e", json.dumps(extra)]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


def changed_count(result: subprocess.CompletedProcess) -> int:
    recap = result.stdout[result.stdout.rindex("PLAY RECAP"):]
    return int(recap.split(RECAP_CHANGED, 1)[1].split()[0])


def test_the_site_goes_up_prunes_only_its_own_keys_and_a_rerun_changes_nothing(emulator_endpoint, aws_session, tmp_path):
    s3, cloudfront = aws_session.client("s3"), aws_session.client("cloudfront")
    bucket = f"site-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    origin = f"{bucket}.s3.us-east-1.amazonaws.com"
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": bucket, "Comment": "site role test", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": origin,
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })["Distribution"]["Id"]

    def invalidations():
        return cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Quantity", 0)

    def keys():
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))

    # The environment's working directory exists once a deploy got this far (the layers' working copies).
    (tmp_path / "work").mkdir()
    site = tmp_path / "site"
    shutil.copytree(ROOT / "site", site)
    (site / "old.html").write_text("<p>going away</p>\n")
    api_url = "https://api.example.test/visits"

    run_site(tmp_path, bucket, distribution, api_url)
    shipped = sorted(p.name for p in site.iterdir() if not p.name.endswith(".j2")) + ["config.js"]
    assert keys() == sorted(shipped)
    assert api_url in s3.get_object(Bucket=bucket, Key="config.js")["Body"].read().decode()
    record = tmp_path / "work" / "site-uploaded.json"
    assert json.loads(record.read_text()) == {"bucket": bucket, "keys": sorted(shipped)}
    assert invalidations() == 1

    s3.put_object(Bucket=bucket, Key="user.txt", Body=b"a user's own object")
    (site / "old.html").unlink()
    run_site(tmp_path, bucket, distribution, api_url)
    assert "old.html" not in keys() and "user.txt" in keys()
    assert s3.get_object(Bucket=bucket, Key="user.txt")["Body"].read() == b"a user's own object"
    assert "old.html" not in json.loads(record.read_text())["keys"]
    assert invalidations() == 2

    written = record.stat().st_mtime_ns
    again = run_site(tmp_path, bucket, distribution, api_url)
    assert changed_count(again) == 0, again.stdout[-2000:]
    assert record.stat().st_mtime_ns == written
    assert invalidations() == 2
    assert sorted(keys()) == sorted([k for k in shipped if k != "old.html"] + ["user.txt"])
