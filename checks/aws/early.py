"""A grade's first request, sent while the rest of the grader is still loading.

Every grade starts by asking STS who the credentials belong to. Loading botocore takes longer than
that round trip, so for the common case (keys in the environment, a region named, no proxy and no
profile) the question leaves on a thread of its own, signed here with Signature Version 4 on the
standard library alone, before botocore is imported; :meth:`Transport.identify` takes the answer.

Anything unusual is left to botocore, which asks again and says what went wrong in its own words:
a non-200 answer, an answer that is not AWS's, an endpoint this module would have to guess. Only an
endpoint that cannot be reached at all is said here, as botocore's path would say it, so that a
dead network is not waited for twice. Nothing here imports botocore.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Mapping
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


# Settings that change how botocore finds credentials or reaches AWS: with any of them, it asks itself.
BOTOCORE_DECIDES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


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
    """The certificates botocore verifies AWS with: $AWS_CA_BUNDLE, else certifi's, else its own file."""
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


def start(
    region: str | None, endpoint_url: str | None, environ: Mapping[str, str] | None = None
) -> EarlyIdentity | None:
    """Send the identity question now, when botocore would find the credentials and the endpoint plainly
    (keys in the environment, a region, no profile, proxy or custom CA); else None."""
    env = os.environ if environ is None else environ
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not (region and key and secret) or any(env.get(name) for name in BOTOCORE_DECIDES):
        return None
    url = endpoint_for(region, endpoint_url, env)
    if url is None:
        return None
    return EarlyIdentity(url, region, key, secret, env.get("AWS_SESSION_TOKEN") or None)
