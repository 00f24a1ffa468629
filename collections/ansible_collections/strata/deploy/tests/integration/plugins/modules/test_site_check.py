# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""strata.deploy.site_check, run by ansible against the emulator and the local page server
(tools/dev/local_api.py serving the site from its bucket and the counter's handler): every check
passes on a deployed site, counts exactly one visit when asked, and fails by name when the site's
object is gone, the bucket reads for everyone, or the counter's table cannot be read."""
from __future__ import annotations

import json
import threading
import uuid

import boto3
import pytest

import local_api
from ansible_adhoc import run_module

PAGE = b"<!doctype html>\n<title>strata</title>\n<p>visits: <span id=count></span></p>\n"


@pytest.fixture
def site(aws_session, visits_table, tmp_path):
    """A private site bucket readable by the CDN alone (as the stateful layer makes it), its
    index.html as the site role uploads it, the visits table at 41, and the local page server."""
    s3 = aws_session.client("s3")
    bucket = f"site-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    s3.put_object(Bucket=bucket, Key="index.html", Body=PAGE, ContentType="text/html")
    source = tmp_path / "site"
    source.mkdir()
    (source / "index.html").write_bytes(PAGE)
    table = visits_table(count=41, origin="*")
    reader = local_api.bucket_reader(bucket, boto3.client("s3"))
    server = local_api.make_server("127.0.0.1", 0, local_api.load_handler(local_api.DEFAULT_SOURCE), None, reader)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    yield {"s3": s3, "bucket": bucket, "table": table, "url": url, "file": source / "index.html", "dir": tmp_path}
    server.shutdown()
    server.server_close()
    thread.join()
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="index.html")
    s3.delete_bucket(Bucket=bucket)


def check(site, endpoint, **extra):
    args = {"page_url": site["url"], "page_file": str(site["file"]), "bucket": site["bucket"], "region": "us-east-1",
            "endpoint_url": endpoint, "path_style": True, "api_url": site["url"], **extra}
    return run_module(site["dir"], "strata.deploy.site_check", args)


def counter(aws_session, table):
    item = aws_session.client("dynamodb").get_item(TableName=table, Key={"stat": {"S": "Quantity"}},
                                                   ConsistentRead=True)["Item"]
    return int(item["viewCount"]["N"])


def test_every_check_passes_and_one_visit_is_counted(site, emulator_endpoint, aws_session):
    result = check(site, emulator_endpoint)
    assert result["failed_checks"] == [], result["checks"]
    assert [c["name"] for c in result["checks"]] == ["page", "direct_read_refused", "api_answers"]
    assert result["changed"] is False and result["count_before"] == 41 and counter(aws_session, site["table"]) == 41

    counted = check(site, emulator_endpoint, count_visit=True)
    assert counted["failed_checks"] == [] and counted["changed"] is True
    assert (counted["count_before"], counted["count_after"]) == (41, 42)
    assert counter(aws_session, site["table"]) == 42


def test_check_mode_counts_no_visit(site, emulator_endpoint, aws_session):
    args = {"page_url": site["url"], "page_file": str(site["file"]), "bucket": site["bucket"], "region": "us-east-1",
            "endpoint_url": emulator_endpoint, "path_style": True, "api_url": site["url"], "count_visit": True}
    result = run_module(site["dir"], "strata.deploy.site_check", args, check=True)
    assert result["failed_checks"] == ["api_counts"] and result["changed"] is False
    assert counter(aws_session, site["table"]) == 41


def test_a_removed_object_fails_the_page(site, emulator_endpoint):
    site["s3"].delete_object(Bucket=site["bucket"], Key="index.html")
    result = check(site, emulator_endpoint)
    assert result["failed_checks"] == ["page"]
    assert result["checks"][0]["message"].startswith(f"page: GET {site['url']} answered HTTP 404")


def test_other_content_fails_the_page(site, emulator_endpoint):
    site["file"].write_bytes(PAGE + b"<!-- a newer page, not deployed -->\n")
    result = check(site, emulator_endpoint)
    assert result["failed_checks"] == ["page"] and "answered other content" in result["checks"][0]["message"]


def test_a_bucket_everyone_reads_fails_the_direct_read(site, emulator_endpoint):
    site["s3"].put_bucket_policy(Bucket=site["bucket"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{site['bucket']}/*"}]}))
    result = check(site, emulator_endpoint)
    assert result["failed_checks"] == ["direct_read_refused"]
    assert "read the object: answered HTTP 200" in result["checks"][1]["message"]


def test_an_unreadable_table_fails_the_api_by_name(site, emulator_endpoint, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", f"{site['table']}-gone")
    result = check(site, emulator_endpoint, count_visit=True)
    assert result["failed_checks"] == ["api_answers", "api_counts"]
    assert result["checks"][2]["message"].startswith(f"api_answers: GET {site['url']}count answered HTTP 502")
    assert result["checks"][3]["message"] == "api_counts: not run, the counter could not be read first (api_answers)"


def test_a_bad_url_is_refused_naming_the_option(site, emulator_endpoint):
    result = check(site, emulator_endpoint, api_url="ftp://nowhere")
    assert result["failed"] and result["msg"] == "api_url is 'ftp://nowhere': expected an http:// or https:// URL"
