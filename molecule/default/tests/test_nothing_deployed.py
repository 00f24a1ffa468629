"""After the check-mode run: the emulator holds nothing of the project."""


def test_no_bucket_was_created(session):
    names = [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]
    assert [n for n in names if n.startswith("molecule-")] == []


def test_no_table_was_created(session):
    assert session.client("dynamodb").list_tables()["TableNames"] == []
