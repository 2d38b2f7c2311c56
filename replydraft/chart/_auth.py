"""Auth for the FHIR REST twins: SMART Backend Services (signed JWT client assertions) and bearer tokens.

Both classes serve the sync and the async twin: the token logic (discovery document, assertion,
token response, expiry) is pure and shared; only the HTTP call differs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from replydraft.errors import ChartAuthError, ChartTimeoutError, ConfigurationError

__all__ = ["BearerAuth", "ChartAuth", "SMARTBackendAuth"]

logger = logging.getLogger(__name__)

_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ALGORITHMS = ("RS384", "ES384")
_OAUTH_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
#: Refresh this many seconds before the server's expiry, so a token never dies in flight.
_EXPIRY_SKEW_S = 30.0


@runtime_checkable
class ChartAuth(Protocol):
    """What the FHIR twins need from an auth object (implement it for other schemes)."""

    refreshable: bool
    """Whether :meth:`invalidate` followed by a new token request can fix a 401."""

    def token(self, client: httpx.Client, base_url: str) -> str:
        """A bearer token, fetched with ``client`` when needed (sync twin)."""
        ...

    async def atoken(self, client: httpx.AsyncClient, base_url: str) -> str:
        """A bearer token, fetched with ``client`` when needed (async twin)."""
        ...

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the server rejected it) so the next call fetches a new one."""
        ...


class BearerAuth:
    """A fixed bearer token (a server-issued API token, or one your own code refreshes).

    Example:
        >>> chart = FHIRChart("https://ehr.example/fhir", auth=BearerAuth("s3cr3t"))

    Args:
        token: The access token. It is never shown in ``repr``.
    """

    refreshable = False

    def __init__(self, token: str) -> None:
        if not token:
            raise ConfigurationError("BearerAuth needs a non-empty token")
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(token=<hidden>)"

    def token(self, client: httpx.Client, base_url: str) -> str:
        """Return the fixed token."""
        return self._token

    async def atoken(self, client: httpx.AsyncClient, base_url: str) -> str:
        """Return the fixed token."""
        return self._token

    def invalidate(self, token: str) -> None:
        """Nothing to refresh: a rejected fixed token stays rejected."""


PrivateKey = RSAPrivateKey | EllipticCurvePrivateKey


class SMARTBackendAuth:
    """SMART Backend Services (OAuth2 client-credentials with a signed JWT client assertion).

    The token endpoint is discovered from ``{base_url}/.well-known/smart-configuration`` unless given.
    Every token request signs a fresh assertion (new ``jti``, ``exp`` <= 5 minutes, as the spec
    requires); the access token is cached until shortly before ``expires_in`` runs out, and the REST
    twins call :meth:`invalidate` on a 401 and retry once with a new token.

    Example:
        >>> auth = SMARTBackendAuth("my-client", Path("keys/private.pem"), algorithm="RS384", kid="k1")
        >>> with FHIRChart("https://ehr.example/fhir", auth=auth) as chart:
        ...     ctx = chart.get_context("123")

    Args:
        client_id: The client id registered with the EHR (``iss`` and ``sub`` of the assertion).
        private_key: PEM text/bytes, a path to a PEM file, or a ``cryptography`` private key.
        algorithm: ``RS384`` (RSA key) or ``ES384`` (P-384 key).
        kid: Key id put in the JWT header (EHRs pick the JWKS key by it).
        scope: Requested scopes (space-separated).
        token_url: The token endpoint; discovered when None.
        jku: Optional JWKS URL put in the JWT header.
        clock: Seconds since the epoch (injectable for tests).

    Raises:
        ConfigurationError: Unsupported algorithm or an unreadable key.
    """

    refreshable = True

    def __init__(
        self,
        client_id: str,
        private_key: str | bytes | PathLike[str] | PrivateKey,
        *,
        algorithm: str = "RS384",
        kid: str | None = None,
        scope: str = "system/*.read",
        token_url: str | None = None,
        jku: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if algorithm not in _ALGORITHMS:
            raise ConfigurationError(f"algorithm must be one of {', '.join(_ALGORITHMS)}")
        self.client_id = client_id
        self.algorithm = algorithm
        self.kid = kid
        self.scope = scope
        self.jku = jku
        self._token_url = token_url
        self._key = _load_key(private_key)
        self._clock = clock
        self._access: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self._alock: asyncio.Lock | None = None
        self._alock_loop: asyncio.AbstractEventLoop | None = None
        #: How many token requests were made (for tests and metrics; no secrets).
        self.token_requests = 0

    def __repr__(self) -> str:
        return (
            f"SMARTBackendAuth(client_id={self.client_id!r}, algorithm={self.algorithm!r}, kid={self.kid!r})"
        )

    # ----------------------------------------------------------------- pure steps

    def _cached(self) -> str | None:
        if self._access is not None and self._clock() < self._expires_at:
            return self._access
        return None

    def client_assertion(self, token_url: str) -> str:
        """Sign a fresh client assertion for ``token_url`` (new ``jti`` every call)."""
        now = int(self._clock())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": token_url,
            "exp": now + 240,  # the spec allows at most 5 minutes
            "iat": now,
            "jti": uuid.uuid4().hex,
        }
        headers: dict[str, Any] = {"typ": "JWT"}
        if self.kid:
            headers["kid"] = self.kid
        if self.jku:
            headers["jku"] = self.jku
        return jwt.encode(claims, self._key, algorithm=self.algorithm, headers=headers)

    def _token_form(self, token_url: str) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "scope": self.scope,
            "client_assertion_type": _ASSERTION_TYPE,
            "client_assertion": self.client_assertion(token_url),
        }

    @staticmethod
    def _discovered(response: httpx.Response) -> str:
        if response.status_code != 200:
            raise ChartAuthError(
                "SMART discovery failed (.well-known/smart-configuration)", status_code=response.status_code
            )
        try:
            url = response.json()["token_endpoint"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ChartAuthError("SMART configuration has no token_endpoint") from exc
        if not isinstance(url, str) or not url:
            raise ChartAuthError("SMART configuration has no token_endpoint")
        return url

    def _accept(self, response: httpx.Response) -> str:
        self.token_requests += 1
        if response.status_code != 200:
            # RFC 6749 error codes only: a server could echo anything (patient data included) here,
            # and error_description is never read
            try:
                error = str(response.json().get("error", ""))
            except (ValueError, AttributeError):
                error = ""
            error = error if error in _OAUTH_ERRORS else "unknown"
            raise ChartAuthError(
                f"token request refused ({error})", status_code=response.status_code, issue_codes=(error,)
            )
        try:
            body = response.json()
            access = str(body["access_token"])
            expires_in = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise ChartAuthError("token response has no access_token") from exc
        self._access = access
        self._expires_at = self._clock() + max(0.0, expires_in - min(_EXPIRY_SKEW_S, expires_in / 10))
        logger.debug("SMART token obtained; expires in %.0f s", expires_in)
        return access

    def invalidate(self, token: str) -> None:
        """Forget ``token`` if it is the cached one (a concurrent refresh may already have replaced it)."""
        if self._access == token:
            self._access = None
            self._expires_at = 0.0

    # ----------------------------------------------------------------- sync

    def token(self, client: httpx.Client, base_url: str) -> str:
        """Return the cached token, or request a new one (thread-safe: one request at a time)."""
        cached = self._cached()
        if cached:
            return cached
        with self._lock:
            cached = self._cached()
            if cached:
                return cached
            try:
                if self._token_url is None:
                    found = client.get(_discovery_url(base_url), headers={"Accept": "application/json"})
                    self._token_url = self._discovered(found)
                response = client.post(self._token_url, data=self._token_form(self._token_url))
            except httpx.TimeoutException as exc:
                raise ChartTimeoutError("the token endpoint did not answer in time") from exc
            except httpx.HTTPError as exc:
                raise ChartAuthError("could not reach the token endpoint") from exc
            return self._accept(response)

    # ----------------------------------------------------------------- async

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        # an asyncio.Lock binds to the loop that first waits on it; notebooks and test suites run
        # several loops over one auth object's life
        if self._alock is None or self._alock_loop is not loop:
            self._alock = asyncio.Lock()
            self._alock_loop = loop
        return self._alock

    async def atoken(self, client: httpx.AsyncClient, base_url: str) -> str:
        """Return the cached token, or request a new one (one request at a time per event loop)."""
        cached = self._cached()
        if cached:
            return cached
        async with self._async_lock():
            cached = self._cached()
            if cached:
                return cached
            try:
                if self._token_url is None:
                    found = await client.get(_discovery_url(base_url), headers={"Accept": "application/json"})
                    self._token_url = self._discovered(found)
                response = await client.post(self._token_url, data=self._token_form(self._token_url))
            except httpx.TimeoutException as exc:
                raise ChartTimeoutError("the token endpoint did not answer in time") from exc
            except httpx.HTTPError as exc:
                raise ChartAuthError("could not reach the token endpoint") from exc
            return self._accept(response)


def _discovery_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/.well-known/smart-configuration"


def _load_key(private_key: str | bytes | PathLike[str] | PrivateKey) -> PrivateKey:
    if isinstance(private_key, (RSAPrivateKey, EllipticCurvePrivateKey)):
        return private_key
    try:
        if isinstance(private_key, PathLike) or (
            isinstance(private_key, str) and "-----BEGIN" not in private_key
        ):
            data = Path(private_key).read_bytes()
        else:
            data = private_key.encode() if isinstance(private_key, str) else private_key
        key = load_pem_private_key(data, password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError("could not load the SMART private key (PEM, unencrypted)") from exc
    if not isinstance(key, (RSAPrivateKey, EllipticCurvePrivateKey)):
        raise ConfigurationError("the SMART private key must be RSA (RS384) or EC P-384 (ES384)")
    return key
