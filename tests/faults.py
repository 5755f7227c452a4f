"""Fault injection for the tests: AWS answers as each protocol sends them, made up on this side."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

# botocore's event names use the service id, hyphenated.
EVENT_SERVICE = {"application-autoscaling": "application-auto-scaling"}


class LoopbackHandler(BaseHTTPRequestHandler):
    """A handler of a loopback proxy: reads a request, passes it to ``target_port``, answers. A proxy
    subclasses it with its own ``forward``; :func:`loopback_server` runs it."""

    protocol_version = "HTTP/1.1"
    target_port = 0

    def forward(self) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self.forward()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def upstream(self, body: bytes | None) -> tuple[int, bytes, list[tuple[str, str]]]:
        """The request as it came, sent on to the target: its status, body and headers (as ``send`` takes them)."""
        upstream = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            return answer.status, answer.read(), answer.getheaders()
        finally:
            upstream.close()

    def send(self, status: int, data: bytes, headers: list[tuple[str, str]] | None = None) -> None:
        """An answer of ``data`` with ``headers`` (hop-by-hop ones and the length are this proxy's own)."""
        self.send_response(status)
        for key, value in headers or []:
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


def loopback_server(handler: type[LoopbackHandler], target_port: int) -> ThreadingHTTPServer:
    """A loopback server of ``handler`` in front of ``target_port``, serving on a thread of its own."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type(handler.__name__, (handler,), {"target_port": target_port}))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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


# -- a fault-injecting proxy on loopback -------------------------------------------------------
_KEY = re.compile(r"Credential=([A-Z0-9]+)/")


@dataclass
class Request:
    """What the proxy saw of one request: enough to tell which operation of which account it is."""

    method: str
    path: str
    target: str  # X-Amz-Target (JSON protocols), or the query protocol's Action
    key: str  # the access key that signed it: which account (profile) sent it

    def is_(self, operation: str) -> bool:
        """Lambda's REST operations by path; the others by their target or Action."""
        if operation == "GetFunction":
            return self.method == "GET" and re.fullmatch(r"/2015-03-31/functions/[^/?]+", self.path) is not None
        return self.target == operation or self.target.endswith("." + operation)


@dataclass
class Fault:
    """Answer requests that ``match`` with ``kind``: truncated, html, 500, silence, expired, or delay."""

    match: Callable[[Request], bool]
    kind: str
    times: int = 10**9  # how many matching requests it takes; then they pass
    seen: int = 0


def _key_of(authorization: str) -> str:
    found = _KEY.search(authorization)
    return found.group(1) if found else ""


class FaultProxy:
    """A loopback HTTP proxy in front of an endpoint (moto's server) that breaks chosen answers as a
    faulty network or a captive portal would: cut short, an HTML page with status 200, a 500, no
    answer at all, an expired token, or a delay. Everything else passes through unchanged."""

    def __init__(self, target: str, faults: list[Fault] | None = None, delay: float = 0.0) -> None:
        self.faults = faults or []
        self.delay = delay
        self.stopping = threading.Event()
        target_port = int(target.rsplit(":", 1)[1])
        proxy = self

        class Handler(LoopbackHandler):
            def forward(self) -> None:
                body = self.body() or b""
                action = re.search(rb"(?:^|&)Action=([A-Za-z]+)", body)
                seen = Request(
                    self.command,
                    self.path.split("?", 1)[0],
                    self.headers.get("X-Amz-Target") or (action.group(1).decode() if action else ""),
                    _key_of(self.headers.get("Authorization", "")),
                )
                fault = next((f for f in proxy.faults if f.seen < f.times and f.match(seen)), None)
                if fault is not None:
                    fault.seen += 1
                if proxy.delay:
                    time.sleep(proxy.delay)
                kind = fault.kind if fault else ""
                if kind == "silence":
                    proxy.stopping.wait(120)
                    return
                if kind == "html":
                    return self._send(
                        200, b"<!DOCTYPE html><html><body>Sign in to the network</body></html>", "text/html"
                    )
                if kind == "500":
                    return self._send(500, b"", "text/plain")
                if kind == "expired":
                    error = json.dumps({"__type": "ExpiredTokenException", "message": "The security token expired"})
                    xml = b"<ErrorResponse><Error><Code>ExpiredToken</Code><Message>x</Message></Error></ErrorResponse>"
                    if seen.target and "." not in seen.target and not self.headers.get("X-Amz-Target"):
                        return self._send(400, xml, "text/xml")
                    return self._send(400, error.encode(), "application/x-amz-json-1.1")
                status, data, headers = self.upstream(body or None)
                if kind == "truncated":
                    data = data[: max(1, len(data) // 2)]
                content_type = next((v for k, v in headers if k.lower() == "content-type"), "application/json")
                self._send(status, data, content_type)

            def _send(self, status: int, data: bytes, content_type: str) -> None:
                self.send(status, data, [("Content-Type", content_type)])

        self.server = loopback_server(Handler, target_port)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
