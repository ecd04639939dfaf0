"""Single sign-on with the OpenID Provider a region runs: the authorization code flow with PKCE.

authlib builds the authorization request and exchanges the code; PyJWT checks the ID token
against the provider's published keys. What the flow must remember between the redirect and
the callback (state, nonce, PKCE verifier) travels in a short-lived cookie signed with the
gateway's secret, so any gateway instance can finish a flow another one began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from nameko.extensions import DependencyProvider

from services.clock import utcnow
from services.config import public_base_url
from services.errors import NotFound, ServiceUnavailable, Unauthorized

LOGIN_PATH = "/api/v1/auth/oidc/login"
CALLBACK_PATH = "/api/v1/auth/oidc/callback"
DEFAULT_DISPLAY_NAME = "统一身份认证 Single sign-on"
PENDING_COOKIE = "alliance_oidc"
PENDING_LIFETIME = timedelta(minutes=10)
PENDING_AUDIENCE = "oidc-pending"
PKCE_METHOD = "S256"


@dataclass(frozen=True)
class OidcSettings:
    """One deployment's provider: its issuer URL and this platform's client there."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid"
    timeout_seconds: float = 10.0
    display_name: str = DEFAULT_DISPLAY_NAME


def oidc_settings(config: dict[str, Any]) -> OidcSettings | None:
    """The configured provider (``OIDC_ISSUER``, ``OIDC_CLIENT_ID``, ...); None when single sign-on is off."""
    issuer = str(config.get("OIDC_ISSUER") or "").rstrip("/")
    if not issuer:
        return None
    return OidcSettings(
        issuer=issuer,
        client_id=str(config.get("OIDC_CLIENT_ID") or ""),
        client_secret=str(config.get("OIDC_CLIENT_SECRET") or ""),
        redirect_uri=str(config.get("OIDC_REDIRECT_URI") or f"{public_base_url(config).rstrip('/')}{CALLBACK_PATH}"),
        scope=str(config.get("OIDC_SCOPES") or "openid"),
        timeout_seconds=float(config.get("RPC_TIMEOUT_SECONDS", 10)),
        display_name=str(config.get("OIDC_DISPLAY_NAME") or DEFAULT_DISPLAY_NAME),
    )


class OidcClient:
    """The relying party of one provider: discovery (read once), the redirect, the callback."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._metadata: dict[str, Any] | None = None
        self._keys: jwt.PyJWKClient | None = None

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document; ServiceUnavailable when it does not answer."""
        if self._metadata is None:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            try:
                response = requests.get(url, timeout=self.settings.timeout_seconds)
                response.raise_for_status()
                metadata = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise ServiceUnavailable(f"the sign-on provider does not answer: {exc}") from None
            if str(metadata.get("issuer", "")).rstrip("/") != self.settings.issuer:
                raise ServiceUnavailable("the sign-on provider names another issuer than the one configured")
            self._metadata = metadata
            self._keys = jwt.PyJWKClient(metadata["jwks_uri"], timeout=int(self.settings.timeout_seconds))
        return self._metadata

    def _session(self, state: str) -> OAuth2Session:
        return OAuth2Session(
            self.settings.client_id,
            self.settings.client_secret,
            scope=self.settings.scope,
            state=state,
            redirect_uri=self.settings.redirect_uri,
            code_challenge_method=PKCE_METHOD,
            default_timeout=self.settings.timeout_seconds,
        )

    def begin(self) -> tuple[str, dict[str, str]]:
        """The provider URL to send the browser to, and what the callback must be checked against."""
        pending = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64)}
        url, _ = self._session(pending["state"]).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=pending["state"],
            nonce=pending["nonce"],
            code_verifier=pending["verifier"],
        )
        return url, pending

    def finish(self, callback_url: str, pending: dict[str, str]) -> dict[str, Any]:
        """The verified ID token claims of a callback; Unauthorized when the provider refused or
        anything does not match what ``begin`` sent."""
        metadata = self.metadata()
        try:
            token = self._session(pending["state"]).fetch_token(
                metadata["token_endpoint"], authorization_response=callback_url, code_verifier=pending["verifier"]
            )
        except AuthlibBaseError as exc:
            raise Unauthorized(f"the sign-on provider refused: {exc.description or exc.error}") from None
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"the sign-on provider does not answer: {exc}") from None
        id_token = token.get("id_token")
        if not id_token:
            raise Unauthorized("the sign-on provider answered no ID token")
        try:
            key = self._keys.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=metadata.get("id_token_signing_alg_values_supported") or ["RS256"],
                audience=self.settings.client_id,
                issuer=metadata["issuer"],
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the sign-on provider's ID token does not verify: {exc}") from None
        if claims.get("nonce") != pending["nonce"]:
            raise Unauthorized("the ID token was not issued for this sign-in (nonce)")
        return claims


def pending_cookie(secret: str, pending: dict[str, str]) -> str:
    """The flow's state, signed, for the browser to carry to the callback."""
    now = utcnow()
    return jwt.encode(
        {**pending, "aud": PENDING_AUDIENCE, "iat": now, "exp": now + PENDING_LIFETIME}, secret, algorithm="HS256"
    )


def read_pending_cookie(secret: str, cookie: str | None) -> dict[str, str]:
    """The flow's state from its cookie; Unauthorized when missing, forged or expired."""
    if not cookie:
        raise Unauthorized("no sign-in is under way in this browser; start again at the sign-in link")
    try:
        return jwt.decode(cookie, secret, algorithms=["HS256"], audience=PENDING_AUDIENCE)
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the sign-in under way is not valid any more ({exc}); start again") from None


class SingleSignOn(DependencyProvider):
    """The deployment's OIDC client, or None when single sign-on is not configured."""

    def setup(self) -> None:
        settings = oidc_settings(self.container.config)
        self.client = OidcClient(settings) if settings else None

    def get_dependency(self, worker_ctx) -> OidcClient | None:
        return self.client


def require_configured(client: OidcClient | None) -> OidcClient:
    if client is None:
        raise NotFound("single sign-on is not configured for this deployment")
    return client
