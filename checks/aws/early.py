"""A grade's first request, sent while the rest of the grader is still loading.

Every grade starts by asking STS who the credentials belong to. Loading botocore takes longer than
that round trip, so for the common case (keys in the environment, a region named, no proxy, no
profile, and shared files with nothing but plain settings) the question leaves on a thread of its
own, signed here with Signature Version 4 on the standard library alone, before botocore is
imported; :meth:`Transport.identify` takes the answer.

It goes only where botocore would send it, signed as botocore would sign it: every setting botocore
reads that could change either (an endpoint, FIPS or dual-stack, a proxy, a CA bundle, a profile's
credential source, in the environment or in the shared files) leaves the request to botocore.
Anything unusual in the answer is left to botocore too, which asks again and says what went wrong in
its own words. Only an endpoint that cannot be reached at all is said here, as botocore's path would
say it, so that a dead network is not waited for twice. Nothing here imports botocore.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
COMMERCIAL = re.compile(r"(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d")  # regions of the aws partition
CONNECT_TIMEOUT, READ_TIMEOUT = 3.0, 4.0  # as the preflight of the botocore path


def sign(
    url: str, region: str, key: str, secret: str, token: str | None, when: datetime, body: bytes = BODY
) -> dict[str, str]:
    """The headers of a SigV4-signed STS POST of ``body`` to ``url`` at ``when`` (UTC)."""
    parts = urlsplit(url)
    host = parts.netloc
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"content-type": CONTENT_TYPE, "host": host, "x-amz-date": amz_date}
    if token:
        headers["x-amz-security-token"] = token
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            "POST",
            parts.path or "/",
            "",
            *(f"{name}:{headers[name]}" for name in sorted(headers)),
            "",
            signed,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{day}/{region}/sts/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signing = ("AWS4" + secret).encode()
    for part in (day, region, "sts", "aws4_request"):
        signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return headers


def endpoint_for(region: str, endpoint_url: str | None, environ: Mapping[str, str]) -> str | None:
    """Where botocore would send STS's request, when it is plain to tell; None when it is not."""
    named = endpoint_url or environ.get("AWS_ENDPOINT_URL_STS") or environ.get("AWS_ENDPOINT_URL")
    if named:
        return named if named.startswith(("http://", "https://")) else None
    return f"https://sts.{region}.amazonaws.com" if COMMERCIAL.fullmatch(region) else None


# Environment variables that change where botocore sends a request, how it verifies it, or whose
# credentials it signs with: with any of them set, botocore asks itself.
BOTOCORE_DECIDES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AWS_DATA_PATH",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)

# What the shared files' default profile may hold for the early request to go: settings it understands
# (the region is taken from the environment or the command line, never from here) and the AWS CLI's own.
# Anything else (endpoint_url, services, use_fips_endpoint, use_dualstack_endpoint, sts_regional_endpoints,
# ca_bundle, credential_process, sso_*, role_arn, source_profile…) leaves the request to botocore.
PLAIN_PROFILE_KEYS = frozenset(
    {
        "region",
        "output",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "max_attempts",
        "retry_mode",
        "parameter_validation",
        "cli_pager",
        "cli_timestamp_format",
        "cli_binary_format",
        "cli_follow_urlparam",
        "cli_auto_prompt",
        "cli_history",
    }
)


def shared_files_are_plain(environ: Mapping[str, str]) -> bool:
    """Whether the shared config and credentials files leave the default profile plain (see above): files
    that are missing are; files that cannot be read or parsed are not (botocore would say why)."""
    import configparser

    places = (
        (environ.get("AWS_CONFIG_FILE") or "~/.aws/config", ("default", "profile default")),
        (environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials", ("default",)),
    )
    for name, sections in places:
        path = os.path.expanduser(name)
        if not os.path.lexists(path):
            continue
        parser = configparser.RawConfigParser(default_section="\x00 none", strict=False)
        try:
            with open(path, encoding="utf-8") as f:
                parser.read_file(f)
        except (OSError, UnicodeError, configparser.Error):
            return False
        for section in sections:
            if parser.has_section(section) and set(parser.options(section)) - PLAIN_PROFILE_KEYS:
                return False
    return True


class EarlyIdentity:
    """GetCallerIdentity on a thread of its own: :meth:`account` waits for it."""

    def __init__(self, url: str, region: str, key: str, secret: str, token: str | None) -> None:
        self.url, self.region = url, region
        self._credentials = (key, secret, token)
        self._account: str | None = None
        self.unreachable = False  # no connection could be made, or no answer came in time
        self.sent = False  # a request left (for the grader's count of what it sent)
        self._thread = threading.Thread(target=self._ask, name="early-identity", daemon=True)
        self._thread.start()

    def _ask(self) -> None:
        import http.client
        import ssl

        parts = urlsplit(self.url)
        try:
            if parts.scheme == "https":  # verified against the certificates botocore would use
                tls = ssl.create_default_context(cafile=_ca_bundle())
                connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                    parts.hostname or "", parts.port, timeout=CONNECT_TIMEOUT, context=tls
                )
            else:
                connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=CONNECT_TIMEOUT)
            key, secret, token = self._credentials
            headers = sign(self.url, self.region, key, secret, token, datetime.now(timezone.utc))
            headers.pop("host")  # http.client sends the same Host
            connection.connect()
            connection.sock.settimeout(READ_TIMEOUT)  # type: ignore[union-attr]
            connection.request("POST", parts.path or "/", body=BODY, headers=headers)
            self.sent = True
            answer = connection.getresponse()
            body = answer.read(64 * 1024)
            connection.close()
        except ssl.SSLError:  # a certificate or TLS matter: botocore's path says it in its words
            return
        except OSError:  # refused, unresolvable, timed out: botocore's path would find the same
            self.unreachable = True
            return
        except Exception:  # anything else: left to botocore's path, which says it properly
            return
        if answer.status == 200:
            self._account = _account_in(body)

    def account(self, wait: float = CONNECT_TIMEOUT + READ_TIMEOUT + 1) -> str | None:
        """The 12-digit account the credentials belong to, or None: ask again the usual way."""
        self._thread.join(wait)
        return self._account


def _ca_bundle() -> str | None:
    """The certificates botocore verifies AWS with: $AWS_CA_BUNDLE (a profile's ``ca_bundle`` leaves the request
    to botocore), else certifi's, else its own file."""
    named = os.environ.get("AWS_CA_BUNDLE")
    if named:
        return named
    try:
        import certifi

        return str(certifi.where())
    except ImportError:
        from checks.aws.regions import botocore_folders

        folders = botocore_folders()
        return os.path.join(folders[0], "cacert.pem") if folders else None


def _account_in(body: bytes) -> str | None:
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    if root.tag.rsplit("}", 1)[-1] != "GetCallerIdentityResponse":
        return None
    found = next((e.text for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Account"), None)
    if found and found.isascii() and found.isdigit() and len(found) == 12:
        return found
    return None


@dataclass(frozen=True)
class Plan:
    """The early request as it would be sent: where, for which region, signed with which credentials."""

    url: str
    region: str
    key: str
    secret: str
    token: str | None


def plan(region: str | None, endpoint_url: str | None, environ: Mapping[str, str] | None = None) -> Plan | None:
    """The early request, when the configuration that applies is one this module fully understands: keys
    and a region in the environment (or the command line), no setting of ``BOTOCORE_DECIDES``, and shared
    files whose default profile is plain. Else None: botocore asks."""
    env = os.environ if environ is None else environ
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not (region and key and secret) or any(env.get(name) for name in BOTOCORE_DECIDES):
        return None
    url = endpoint_for(region, endpoint_url, env)
    if url is None or not shared_files_are_plain(env):
        return None
    return Plan(url, region, key, secret, env.get("AWS_SESSION_TOKEN") or None)


def start(
    region: str | None, endpoint_url: str | None, environ: Mapping[str, str] | None = None
) -> EarlyIdentity | None:
    """Send the identity question now, when :func:`plan` says botocore would send it the same; else None."""
    planned = plan(region, endpoint_url, environ)
    if planned is None:
        return None
    return EarlyIdentity(planned.url, planned.region, planned.key, planned.secret, planned.token)
