"""``validate_tasks.py sandbox``: a local AWS endpoint to practise on, without an AWS bill.

moto's server (with :mod:`checks.standin.gap_fills`) listens on 127.0.0.1 only. Students
drive it with the ordinary AWS CLI after exporting what it prints, then grade it
with ``validate_tasks.py ASSESSMENT --endpoint-url ...``. One line per request
goes to stderr; Ctrl-C stops it cleanly. State lives in memory only.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

HOST = "127.0.0.1"
DEFAULT_PORT = 4566
KEY = "sandbox"  # the access key ID it prints, and the only one it serves
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_KEY_ID = re.compile(r"Credential=([^/,\s]+)/")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def exports(port: int, region: str = "us-east-1") -> str:
    return "\n".join(
        [
            f"export AWS_ENDPOINT_URL=http://{HOST}:{port}",
            f"export AWS_ACCESS_KEY_ID={KEY} AWS_SECRET_ACCESS_KEY={KEY}",
            f"export AWS_REGION={region} AWS_DEFAULT_REGION={region}",
        ]
    )


def _query_action(environ: dict[str, Any]) -> str:
    """The ``Action`` of a query-protocol request (IAM, STS, EC2, CloudWatch, SQS of AWS CLI v1), or "".

    Read from the URL or the form body; the body is put back for the application to read.
    """
    from urllib.parse import parse_qs

    found = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if found:
        return str(found[0])
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return ""
    import io

    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return str(parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0])


def cli_v1_advice(version: str) -> str | None:
    """What to add when ``aws --version`` says AWS CLI v1, whose SQS calls (and, before 1.29, all calls)
    do not follow ``AWS_ENDPOINT_URL``: a shell function that passes the sandbox's endpoint to every call."""
    found = re.match(r"aws-cli/(\d+)\.(\d+)", version.strip())
    if not found or found.group(1) != "1":
        return None
    return (
        f"Your AWS CLI is version 1 ({version.split()[0]}): some of its calls (SQS among them) do not follow\n"
        "AWS_ENDPOINT_URL and would go to AWS. In the same shell, also run:\n\n"
        'aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }'
    )


def installed_cli_version() -> str:
    """``aws --version`` of the AWS CLI on PATH, or "" when there is none (or it does not answer)."""
    import shutil
    import subprocess

    if shutil.which("aws") is None:
        return ""
    try:
        done = subprocess.run(["aws", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()  # v1 printed it on stderr


def refusal(environ: dict[str, Any]) -> str | None:
    """Why the sandbox will not serve a request, or None: it serves the local AWS CLI, not web pages.

    A web page can reach a port on loopback: its requests carry an ``Origin`` (CORS preflights
    too), or, through DNS rebinding, a ``Host`` that is not loopback. Anything not signed with the
    key the sandbox printed (moto's own dashboard and reset included) is refused as well.
    """
    if environ.get("HTTP_ORIGIN"):
        return "a request from a web page (it has an Origin): the sandbox serves the AWS CLI only"
    host = environ.get("HTTP_HOST", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name not in LOOPBACK_NAMES:
        return f"Host {host[:60]!r} is not loopback: the sandbox answers http://{HOST} only"
    from urllib.parse import parse_qs

    signed = _KEY_ID.search(environ.get("HTTP_AUTHORIZATION", ""))
    key = signed.group(1) if signed else parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
    key_id = key.split("/", 1)[0]
    if key_id != KEY and not issued(key_id):
        return f"not signed with the sandbox's key: export AWS_ACCESS_KEY_ID={KEY} AWS_SECRET_ACCESS_KEY={KEY}"
    return None


def issued(key_id: str) -> bool:
    """Whether the sandbox itself gave out this access key (``sts assume-role``, ``iam create-access-key``):
    what was signed with its key may sign again, as the account of the role or user it was given for."""
    return key_id.isalnum() and _account_of(key_id) is not None


_known_keys: dict[str, str] = {}  # access key -> its account, once found (a key never changes account)


def _account_of(key_id: str) -> str | None:
    """The account moto gave ``key_id`` out in, or None: moto's own search, over every account, done once."""
    found = _known_keys.get(key_id)
    if found is not None:
        return found
    from moto.core.base_backend import BackendDict
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    assert isinstance(iam_backends, BackendDict)
    for account_id, account in list(iam_backends.items()):
        for partition in PARTITION_NAMES:
            if key_id in account[partition].access_keys:
                _known_keys[key_id] = account_id
                return account_id
    return None


def _accounts_remembered() -> None:
    """moto finds the account of every request's key by searching every account it holds: with hundreds of
    accounts (a class of one account per student), most of its work. Found once per key instead."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.iam import models

    if getattr(models.get_account_id_from, "remembered", False):
        return

    def get_account_id_from(access_key: str) -> str:
        return _account_of(access_key) or DEFAULT_ACCOUNT_ID

    get_account_id_from.remembered = True  # type: ignore[attr-defined]
    models.get_account_id_from = get_account_id_from


def refused(environ: dict[str, Any], why: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """The refusal in the protocol of the request, as AWS answers a key it does not know: XML for the query
    and EC2 protocols (STS, IAM, EC2), JSON for the JSON and REST-JSON protocols, CBOR for Smithy RPC v2
    (CloudWatch). Any SDK then reads the code and ``why``, never a parse error."""
    import json
    from xml.sax.saxutils import escape

    signed = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = signed.group(2) if signed else ""
    content_type = str(environ.get("CONTENT_TYPE", ""))
    if "cbor" in content_type or environ.get("HTTP_SMITHY_PROTOCOL"):
        body = _cbor({"__type": "UnrecognizedClientException", "message": why})
        return "403 Forbidden", [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")], body
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps({"__type": "UnrecognizedClientException", "message": why}).encode()
        return "400 Bad Request", [("Content-Type", content_type or "application/x-amz-json-1.1")], body
    if service == "ec2":
        xml = (
            "<Response><Errors><Error><Code>AuthFailure</Code><Message>"
            f"{escape(why)}</Message></Error></Errors><RequestID>sandbox</RequestID></Response>"
        )
        return "401 Unauthorized", [("Content-Type", "text/xml")], xml.encode()
    if content_type.startswith("application/x-www-form-urlencoded") or service in ("sts", "iam"):
        xml = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
            f"<Message>{escape(why)}</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>"
        )
        return "403 Forbidden", [("Content-Type", "text/xml")], xml.encode()
    body = json.dumps({"message": why, "Type": "User"}).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", "UnrecognizedClientException")]
    return "403 Forbidden", headers, body


def _cbor(fields: dict[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949): all a Smithy RPC v2 error body holds."""

    def head(major: int, size: int) -> bytes:
        if size < 24:
            return bytes([major << 5 | size])
        if size < 0x100:
            return bytes([major << 5 | 24, size])
        return bytes([major << 5 | 25]) + size.to_bytes(2, "big")

    out = head(5, len(fields))
    for key, value in fields.items():
        for text in (key, value):
            data = text.encode()[:0xFFFF]
            out += head(3, len(data)) + data
    return out


class Guard:
    """WSGI middleware in front of moto: a refused request gets AWS's AccessDenied and one log line."""

    def __init__(self, app: Callable[..., Iterable[bytes]], out: IO[str]) -> None:
        self.app = app
        self.out = out

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        why = refusal(environ)
        if why is None:
            from checks.standin.gap_fills import as_aws

            with as_aws():  # the student's CLI meets AWS's timing (a resource busy a while after a change)
                return self.app(environ, start_response)
        from checks.text import printable

        status, headers, body = refused(environ, why)
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        method = printable(str(environ.get("REQUEST_METHOD", "?")))[:10]
        path = printable(str(environ.get("PATH_INFO", "/")))[:80]
        print(f"{time.strftime('%H:%M:%S')} refused {method} {path}: {why}", file=self.out, flush=True)
        return [body]


class RequestLog:
    """WSGI middleware: one line per request (time, service, region, method, path, status); never a credential."""

    def __init__(self, app: Callable[..., Iterable[bytes]], out: IO[str]) -> None:
        self.app = app
        self.out = out

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        region, service = scope.groups() if scope else ("-", "-")
        target = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1] or _query_action(environ)
        path = environ.get("PATH_INFO", "/")
        seen: dict[str, str] = {}

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, *args)

        body = self.app(environ, start)
        from checks.text import printable

        what = printable(target or path)[:120]
        print(
            f"{time.strftime('%H:%M:%S')} {service:<24} {region:<14} {environ.get('REQUEST_METHOD', '?'):<6} "
            f"{what} -> {seen.get('status', '?')}",
            file=self.out,
            flush=True,
        )
        return body


def make_server(
    port: int,
    out: IO[str],
    *,
    managed_policies: bool = True,
    wrap: Callable[[Callable[..., Iterable[bytes]]], Callable[..., Iterable[bytes]]] | None = None,
) -> Any:
    """A moto server with the gap fills on 127.0.0.1:``port`` (0 picks a free port).

    ``managed_policies`` loads AWS's managed IAM policies, so that attach-role-policy works
    as on AWS (it is a process-wide moto setting). ``wrap``: middleware in front of it all (the
    benchmark's delay); two servers of one process serve the same accounts.
    """
    from moto.core.config import default_user_config
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.serving import make_server as werkzeug_server

    from checks.standin import gap_fills as moto_gaps

    moto_gaps.install()
    default_user_config["iam"]["load_aws_managed_policies"] = managed_policies
    _list_modules_once()
    _accounts_remembered()
    _methods_listed_once()

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # RequestLog says it better
            return None

    app: Callable[..., Iterable[bytes]] = Guard(RequestLog(DomainDispatcherApplication(create_backend_app), out), out)
    if wrap is not None:
        app = wrap(app)
    return werkzeug_server(HOST, port, app, threaded=True, request_handler=Quiet)


def _list_modules_once() -> None:
    """moto's server lists its own package folder (a directory read and a stat per service) for every request,
    holding the one lock all requests pass: read once, as it never changes while the server runs."""
    from moto import backends
    from moto.moto_server import werkzeug_app

    listed = tuple(backends.list_of_moto_modules())
    werkzeug_app.backends.list_of_moto_modules = lambda: listed  # type: ignore[attr-defined]


def _methods_listed_once() -> None:
    """moto lists a service's response methods (``inspect.getmembers`` over the class) for every request: once
    per class instead (the gap fills have changed the classes before any server starts)."""
    from moto.core import responses

    name = "method_names_from_class"  # as moto's responses module imported it
    original = getattr(responses, name)
    if getattr(original, "remembered", False):
        return
    listed: dict[object, list[str]] = {}

    def method_names_from_class(clazz: object) -> list[str]:
        found = listed.get(clazz)
        if found is None:
            found = listed[clazz] = original(clazz)
        return found

    method_names_from_class.remembered = True  # type: ignore[attr-defined]
    setattr(responses, name, method_names_from_class)


def serve(port: int = DEFAULT_PORT, out: IO[str] | None = None) -> int:
    log = out or sys.stderr
    try:
        if port:  # werkzeug exits by itself on a taken port; ask first
            import socket

            with socket.socket() as probe:
                probe.bind((HOST, port))
        server = make_server(port, log)
    except OSError as exc:
        print(f"validate-tasks: cannot listen on {HOST}:{port} ({exc.strerror}): pass another --port", file=sys.stderr)
        return 2
    actual = server.server_address[1]
    print(f"AWS sandbox (moto, in memory) listening on http://{HOST}:{actual}. In another shell:\n")
    print(exports(actual))
    advice = cli_v1_advice(installed_cli_version())
    if advice:
        print("\n" + advice)
    print(
        f"\nthen grade it: python validate_tasks.py ASSESSMENT --endpoint-url http://{HOST}:{actual}\n"
        "Ctrl-C stops the sandbox (and forgets everything in it).",
        flush=True,
    )
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C stops it even when started from a background job, which inherits SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.serve_forever()  # werkzeug's returns on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("\nsandbox stopped", file=log)
    return 0
