"""Client settings, resolved and checked once, before any request is sent.

The key is held as a ``SecretStr``: its repr is ``**********``, and it leaves this module only as a header
value. It never goes into a URL (Google also accepts ``?key=``; we never use that, because URLs end up in
logs, tracebacks and proxies).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import quote, urlsplit

from pydantic import SecretStr

__all__ = ["DEFAULT_BASE_URL", "AuthStyle", "ClientConfig", "is_loopback_url", "resolve_config"]

DEFAULT_BASE_URL = "https://api.cometapi.com"
AuthStyle = Literal["x-goog-api-key", "bearer"]
_VERSION_SUFFIXES = ("/v1beta", "/v1")


@dataclass(frozen=True)
class ClientConfig:
    api_key: SecretStr | None
    base_url: str
    api_version: str = "v1beta"
    auth: AuthStyle = "x-goog-api-key"
    timeout: float | None = 120.0
    max_retries: int = 2
    default_headers: Mapping[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        """Every header a request carries, the key included (never log this)."""
        headers = {"content-type": "application/json", "user-agent": "cometgemini/0.1"}
        headers.update(self.default_headers)
        if self.api_key is not None:
            secret = self.api_key.get_secret_value()
            if self.auth == "bearer":
                headers["authorization"] = f"Bearer {secret}"
            else:
                headers["x-goog-api-key"] = secret
        return headers

    def url(self, model: str, method: str) -> str:
        return f"{self.base_url}/{self.api_version}/models/{quote(model, safe='-._~')}:{method}"


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _normalize_base_url(base_url: str, allow_insecure_http: bool) -> str:
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL!r}, got {base_url!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not carry a query or fragment, got {base_url!r}")
    if parts.scheme == "http" and not is_loopback_url(url) and not allow_insecure_http:
        raise ValueError(
            f"refusing to send the API key in clear text to {parts.hostname!r} over http://. "
            "Use https://, or pass allow_insecure_http=True if this network is trusted."
        )
    for suffix in _VERSION_SUFFIXES:  # CometAPI's docs show both with and without the version
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


def resolve_config(
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    api_version: str = "v1beta",
    auth: str = "x-goog-api-key",
    timeout: float | None = 120.0,
    max_retries: int = 2,
    default_headers: Mapping[str, str] | None = None,
    allow_insecure_http: bool = False,
) -> ClientConfig:
    """Settings from arguments, then ``COMETAPI_KEY`` / ``COMETAPI_BASE_URL``; raises ``ValueError`` if wrong."""
    url = _normalize_base_url(base_url or os.environ.get("COMETAPI_BASE_URL") or DEFAULT_BASE_URL,
                              allow_insecure_http)
    key = api_key if api_key is not None else os.environ.get("COMETAPI_KEY")
    secret = key if isinstance(key, SecretStr) else SecretStr(key) if key else None
    if secret is not None and not secret.get_secret_value().strip():
        secret = None
    if secret is None and not is_loopback_url(url):
        raise ValueError(
            "No API key: set the COMETAPI_KEY environment variable or pass api_key=... "
            "(a key is optional only for a local emulator on a loopback base_url)."
        )
    if auth not in ("x-goog-api-key", "bearer"):
        raise ValueError(f"auth must be 'x-goog-api-key' or 'bearer', got {auth!r}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be >= 0 (0 disables retries), got {max_retries}")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout}")
    if not api_version.strip("/"):
        raise ValueError("api_version must not be empty (use 'v1beta')")
    headers = dict(default_headers or {})
    for name in headers:
        if name.lower() in ("x-goog-api-key", "authorization"):
            raise ValueError(f"set the key with api_key=, not through default_headers[{name!r}]")
    return ClientConfig(secret, url, api_version.strip("/"), auth, timeout, max_retries, headers)  # type: ignore[arg-type]


class ConnectionSettings(Protocol):
    """The connection fields every adapter declares under these names (pydantic fields there)."""

    api_key: SecretStr | None
    base_url: str | None
    api_version: str
    auth: str
    timeout: float | None
    max_retries: int
    default_headers: dict[str, str] | None
    allow_insecure_http: bool


def config_for(s: ConnectionSettings) -> ClientConfig:
    """``resolve_config`` over an adapter's connection fields: a clear ``ValueError`` for a bad one, before any
    request (and without pydantic's error, which would print the input, key included)."""
    return resolve_config(s.api_key, s.base_url, s.api_version, s.auth, s.timeout, s.max_retries, s.default_headers,
                          s.allow_insecure_http)
