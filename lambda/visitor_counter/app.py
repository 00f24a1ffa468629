"""Visitor counter behind an API Gateway HTTP API (payload format 2.0).

Routes:
    POST    /count  add one to the counter atomically and return {"count": N}
    GET     /count  return {"count": N} without changing it
    OPTIONS /count  CORS preflight

Environment:
    TABLE_NAME          DynamoDB table holding the counter (required)
    ALLOWED_ORIGIN      value of Access-Control-Allow-Origin (required)
    COUNTER_KEY         hash key value of the counter item (default "Quantity")
    COUNTER_ATTRIBUTE   numeric attribute holding the count (default "viewCount")

The counter item's hash key attribute is "stat", as the stateful layer defines the table.
Every response is JSON; DynamoDB failures are logged and answered with a generic 502/503.
"""
from __future__ import annotations

import json
import logging
import os
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

HASH_KEY = "stat"
ROUTE = "/count"
ALLOWED_METHODS = ("GET", "POST", "OPTIONS")

# Errors that a retry a little later may get past: answered 503 with Retry-After.
_TRANSIENT_ERRORS = {
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
}

logger = logging.getLogger()
logger.setLevel(logging.INFO)

_client = None
_client_lock = threading.Lock()


def _dynamodb():
    """The DynamoDB client, created once per container (boto3 honours AWS_ENDPOINT_URL)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = boto3.client(
                    "dynamodb",
                    config=Config(
                        connect_timeout=2,
                        read_timeout=3,
                        retries={"mode": "standard", "max_attempts": 3},
                    ),
                )
    return _client


def _response(status: int, body: dict | None, extra_headers: dict | None = None) -> dict:
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Vary": "Origin",
    }
    origin = os.environ.get("ALLOWED_ORIGIN")
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
    headers.update(extra_headers or {})
    return {
        "statusCode": status,
        "headers": headers,
        "body": "" if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def _error(status: int, message: str, extra_headers: dict | None = None) -> dict:
    return _response(status, {"error": message}, extra_headers)


def _request_line(event) -> tuple[str, str] | None:
    """(method, path) of a payload-v2 event, the stage prefix removed; None if malformed."""
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    if not isinstance(http, dict):
        return None
    method, path = http.get("method"), http.get("path", event.get("rawPath"))
    if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
        return None
    stage = context.get("stage")
    if isinstance(stage, str) and stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1:]
    return method.upper(), path.rstrip("/") or "/"


def _counter_key() -> dict:
    return {HASH_KEY: {"S": os.environ.get("COUNTER_KEY", "Quantity")}}


def _increment(table: str, attribute: str) -> int:
    result = _dynamodb().update_item(
        TableName=table,
        Key=_counter_key(),
        UpdateExpression="ADD #count :one",
        ExpressionAttributeNames={"#count": attribute},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(result["Attributes"][attribute]["N"])


def _read(table: str, attribute: str) -> int:
    result = _dynamodb().get_item(
        TableName=table,
        Key=_counter_key(),
        ProjectionExpression="#count",
        ExpressionAttributeNames={"#count": attribute},
        ConsistentRead=True,
    )
    value = result.get("Item", {}).get(attribute)
    return int(value["N"]) if value else 0


def handler(event, context):
    """Lambda entry point."""
    request = _request_line(event)
    if request is None:
        return _error(400, "malformed request: expected an API Gateway HTTP API (payload 2.0) event")
    method, path = request
    if path != ROUTE:
        return _error(404, f"no such resource: {path}; the counter is at {ROUTE}")
    if method == "OPTIONS":
        return _response(204, None, {
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        })
    if method not in ("GET", "POST"):
        return _error(405, f"method {method} not allowed on {ROUTE}; use GET or POST",
                      {"Allow": ", ".join(ALLOWED_METHODS)})

    table = os.environ.get("TABLE_NAME")
    if not table:
        logger.error("TABLE_NAME is not set")
        return _error(500, "the counter is not configured")
    attribute = os.environ.get("COUNTER_ATTRIBUTE", "viewCount")
    try:
        count = _increment(table, attribute) if method == "POST" else _read(table, attribute)
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "Unknown")
        logger.exception("DynamoDB %s on table %s failed: %s", method, table, code)
        if code in _TRANSIENT_ERRORS:
            return _error(503, "the counter is busy; try again shortly", {"Retry-After": "1"})
        return _error(502, "the counter store is unavailable")
    except BotoCoreError:
        logger.exception("DynamoDB %s on table %s failed", method, table)
        return _error(503, "the counter store did not answer; try again shortly", {"Retry-After": "1"})
    except (KeyError, ValueError):
        logger.exception("counter item in %s holds no integer %s", table, attribute)
        return _error(502, "the counter holds an unexpected value")
    return _response(200, {"count": count})
