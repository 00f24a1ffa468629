"""The data written between the two converges survives the redeploy."""


def test_counter_was_not_reset(session):
    item = session.client("dynamodb").get_item(
        TableName="molecule-visits-local", Key={"stat": {"S": "Quantity"}}, ConsistentRead=True
    )["Item"]
    assert item["viewCount"] == {"N": "41"}
