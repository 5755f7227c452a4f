"""Fault injection for the tests: AWS answers as each protocol sends them, made up on this side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

# botocore's event names use the service id, hyphenated.
EVENT_SERVICE = {"application-autoscaling": "application-auto-scaling"}


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _cbor_text(text: str) -> bytes:
    raw = text.encode()
    return (bytes([0x60 + len(raw)]) if len(raw) < 24 else bytes([0x78, len(raw)])) + raw


def throttled(protocol: str) -> AWSResponse:
    """A throttling answer in the wire format of ``protocol``."""
    url = "https://simulated.invalid"
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return AWSResponse(
            url,
            400,
            {"x-amzn-ErrorType": "ThrottlingException", "Content-Type": "application/x-amz-json-1.1"},
            Body(body),
        )
    if protocol == "query":
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
            b"</Error><RequestId>x</RequestId></ErrorResponse>"
        )
        return AWSResponse(url, 400, {"Content-Type": "text/xml"}, Body(body))
    if protocol == "ec2":
        body = (
            b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
            b"</Message></Error></Errors><RequestID>x</RequestID></Response>"
        )
        return AWSResponse(url, 503, {"Content-Type": "text/xml"}, Body(body))
    if protocol == "smithy-rpc-v2-cbor":
        body = (
            b"\xa2"
            + _cbor_text("__type")
            + _cbor_text("ThrottlingException")
            + _cbor_text("message")
            + _cbor_text("Rate exceeded")
        )
        return AWSResponse(url, 400, {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}, Body(body))
    raise ValueError(protocol)


def server_error() -> AWSResponse:
    return AWSResponse("https://simulated.invalid", 503, {}, Body(b""))


def denied(operation: str) -> tuple[AWSResponse, dict[str, Any]]:
    body = {
        "Error": {"Code": "AccessDenied", "Message": f"not authorized to perform {operation}"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    return AWSResponse("https://denied.invalid", 403, {}, None), body


def deny_action(session: boto3.Session, action: str) -> None:
    """Refuse every call of one IAM action (``service:Operation``) as IAM would."""
    service, operation = action.split(":", 1)
    session.events.register(
        f"before-call.{EVENT_SERVICE.get(service, service)}.{operation}", lambda **_: denied(operation)
    )
