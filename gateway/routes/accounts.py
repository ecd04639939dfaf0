"""Signing in and accounts (served by members_svc), and the keys that verify access tokens.

members_svc checks passwords and keeps refresh tokens; the gateway turns a successful
sign-in into a short-lived access token signed with its Ed25519 token key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from certificates_svc.schemas import CertificateListItem
from gateway.api import AUTHENTICATED, PUBLIC, Call, route
from gateway.auth import ACCESS_TOKEN_LIFETIME, ALLIANCE_ADMIN, Principal, mint_access_token
from gateway.http import json_response
from gateway.oidc import (
    CALLBACK_PATH,
    LOGIN_PATH,
    PENDING_COOKIE,
    PENDING_LIFETIME,
    OidcClient,
    SingleSignOn,
    pending_cookie,
    read_pending_cookie,
    require_configured,
)
from gateway.rate_limits import LOOKUP_LIMIT
from gateway.schemas import RETURN_TO_APP, OidcLoginQuery, SignInMethods
from members_svc import schemas
from services.config import public_base_url
from services.errors import DomainError, Forbidden
from services.pagination import PageQuery

ACCOUNT_MANAGERS = "alliance_admin, or the org_admin of every organisation the account has roles in"


def require_manager_of(caller: Principal, account: dict[str, Any], grants: list[dict[str, Any]] = ()) -> None:
    """Allow the alliance admin, and an org_admin when the account's roles (and ``grants``,
    the roles it is to have) are all in organisations the org_admin administers."""
    if caller.is_admin:
        return
    every = [*account.get("roles", []), *grants]
    if not every or any(g["role"] == ALLIANCE_ADMIN or not caller.can_act_for(g.get("organisation_id")) for g in every):
        raise Forbidden(f"managing this account needs the {ACCOUNT_MANAGERS}")


def app_redirect(screen: str, values: dict[str, Any]) -> Response:
    """A 303 to a screen of the web app with ``values`` in the URL fragment, which browsers never
    send to a server: tokens there stay out of access logs and Referer headers."""
    location = f"/#/{screen}?{urlencode(values)}"
    return Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def require_account(caller: Principal) -> str:
    """The caller's account id; Forbidden for a service token, which has no account."""
    if caller.account_id is None:
        raise Forbidden("this route is for a signed-in account, not a service token")
    return caller.account_id


class AccountsRoutes:
    accounts_config = Config()
    single_sign_on = SingleSignOn()

    def _tokens(self, session: dict[str, Any]) -> dict[str, Any]:
        """A sign-in's answer: a new access token for the account, and its refresh token."""
        return {
            "access_token": mint_access_token(self.token_keys, session["account"]),
            "token_type": "Bearer",
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "refresh_token": session["refresh_token"],
            "refresh_expires_at": session["refresh_expires_at"],
            "account": session["account"],
        }

    # signing in

    @route(
        "POST",
        "/api/v1/auth/login",
        summary="Sign in with a login and password: an access token and a refresh token",
        access=PUBLIC,
        tags=("auth",),
        body=schemas.SignIn,
        response=schemas.Tokens,
        rate_limit=LOOKUP_LIMIT,
        errors=(400, 401, 415),
    )
    def login(self, call: Call) -> dict[str, Any]:
        return self._tokens(self.members_rpc.sign_in(call.body))

    @route(
        "POST",
        "/api/v1/auth/refresh",
        summary="Trade a refresh token (once) for a new access token and the next refresh token",
        access=PUBLIC,
        tags=("auth",),
        body=schemas.RefreshRequest,
        response=schemas.Tokens,
        rate_limit=LOOKUP_LIMIT,
        errors=(400, 401, 415),
    )
    def refresh(self, call: Call) -> dict[str, Any]:
        return self._tokens(self.members_rpc.refresh_session(call.body))

    @route(
        "POST",
        "/api/v1/auth/logout",
        summary="End a sign-in: its refresh tokens stop working (access tokens expire on their own)",
        access=PUBLIC,
        tags=("auth",),
        body=schemas.RefreshRequest,
        status=204,
        errors=(400, 415),
    )
    def logout(self, call: Call):
        self.members_rpc.sign_out(call.body)
        return Response(status=204)

    @route(
        "POST",
        "/api/v1/auth/password",
        summary="Change the signed-in account's password (every sign-in of the account ends)",
        access=AUTHENTICATED,
        tags=("auth",),
        body=schemas.PasswordChange,
        status=204,
        errors=(400, 401, 403, 415, 422),
    )
    def change_password(self, call: Call):
        self.members_rpc.change_password(require_account(call.caller), call.body)
        return Response(status=204)

    @route(
        "POST",
        "/api/v1/auth/reset",
        summary="Set a new password with a one-time reset link's token",
        access=PUBLIC,
        tags=("auth",),
        body=schemas.PasswordReset,
        status=204,
        rate_limit=LOOKUP_LIMIT,
        errors=(400, 401, 415, 422),
    )
    def reset_password(self, call: Call):
        self.members_rpc.reset_password(call.body)
        return Response(status=204)

    @route(
        "GET",
        "/.well-known/jwks.json",
        summary="The public keys (Ed25519 JWKs) that verify account access tokens",
        access=PUBLIC,
        tags=("auth",),
        content_type="application/jwk-set+json",
    )
    def jwks(self, call: Call):
        return json_response(self.token_keys.jwks(), content_type="application/jwk-set+json")

    @route(
        "GET",
        "/api/v1/auth/methods",
        summary="How one may sign in here: a password, and each single sign-on provider with its login URL",
        access=PUBLIC,
        tags=("auth",),
        response=SignInMethods,
    )
    def sign_in_methods(self, call: Call) -> dict[str, Any]:
        client = self.single_sign_on
        providers = (
            [{"name": client.settings.display_name, "issuer": client.settings.issuer, "login_url": LOGIN_PATH}]
            if client is not None
            else []
        )
        return {"password": True, "oidc": providers}

    # single sign-on (OIDC, authorization code with PKCE)

    @route(
        "GET",
        LOGIN_PATH,
        summary="Sign in with the region's identity provider: a redirect to it (404 when not configured)",
        access=PUBLIC,
        tags=("auth",),
        query=OidcLoginQuery,
        status=302,
        errors=(400, 404, 503),
    )
    def oidc_login(self, call: Call) -> Response:
        url, pending = require_configured(self.single_sign_on).begin()
        if call.query["return_to"]:
            pending["return_to"] = call.query["return_to"]
        response = Response(status=302, headers={"Location": url, "Cache-Control": "no-store"})
        response.set_cookie(
            PENDING_COOKIE,
            pending_cookie(self.jwt_secret, pending),
            max_age=int(PENDING_LIFETIME.total_seconds()),
            path=CALLBACK_PATH,
            httponly=True,
            samesite="Lax",
            secure=call.request.scheme == "https",
        )
        return response

    @route(
        "GET",
        CALLBACK_PATH,
        summary="Where the identity provider sends the browser back: the tokens of the account linked "
        "to the provider's subject (begun with return_to=app: a 303 to the web app, tokens in the fragment)",
        access=PUBLIC,
        tags=("auth",),
        response=schemas.Tokens,
        errors=(401, 404, 503),
        openapi={"responses": {"303": {"description": "return_to=app: to /#/signed-in?… or /#/sign-in?sso_error=…"}}},
    )
    def oidc_callback(self, call: Call) -> Response:
        client = require_configured(self.single_sign_on)
        pending = read_pending_cookie(self.jwt_secret, call.request.cookies.get(PENDING_COOKIE))
        if pending.get("return_to") == RETURN_TO_APP:
            response = self._return_to_app(client, call.request.url, pending)
        else:
            response = json_response(self._oidc_tokens(client, call.request.url, pending))
            response.headers["Cache-Control"] = "no-store"
        response.delete_cookie(PENDING_COOKIE, path=CALLBACK_PATH)
        return response

    def _oidc_tokens(self, client: OidcClient, callback_url: str, pending: dict[str, str]) -> dict[str, Any]:
        """The tokens of the account linked to the subject the provider vouches for in its callback."""
        claims = client.finish(callback_url, pending)
        return self._tokens(self.members_rpc.sign_in_by_oidc(client.settings.issuer, claims["sub"]))

    def _return_to_app(self, client: OidcClient, callback_url: str, pending: dict[str, str]) -> Response:
        """The web app's end of a sign-in: its tokens, or why it failed, for the app to show."""
        try:
            tokens = self._oidc_tokens(client, callback_url, pending)
        except DomainError as exc:
            return app_redirect("sign-in", {"sso_error": exc.title, "sso_detail": exc.message})
        fragment = {key: tokens[key] for key in ("access_token", "refresh_token", "token_type", "expires_in")}
        return app_redirect("signed-in", fragment)

    # the signed-in account

    @route(
        "GET",
        "/api/v1/me",
        summary="The signed-in account, the person behind it and its roles",
        access=AUTHENTICATED,
        tags=("auth",),
        response=schemas.Me,
        errors=(403,),
    )
    def me(self, call: Call) -> dict[str, Any]:
        return self.members_rpc.get_me(require_account(call.caller))

    @route(
        "GET",
        "/api/v1/me/certificates",
        summary="The certificates of the person behind the signed-in account",
        access=AUTHENTICATED,
        tags=("auth",),
        query=PageQuery,
        response=CertificateListItem,
        many=True,
        errors=(403,),
    )
    def my_certificates(self, call: Call) -> dict[str, Any]:
        require_account(call.caller)
        if call.caller.person is None:
            raise Forbidden("this account has no person behind it, so no certificates")
        return self.certificates_rpc.list_certificates({**call.query, "holder_id": call.caller.person})

    # accounts

    @route(
        "POST",
        "/api/v1/accounts",
        summary="Create an account for a person with roles (an org_admin: roles in its own organisation)",
        access=AUTHENTICATED,
        tags=("accounts",),
        body=schemas.AccountCreate,
        response=schemas.Account,
        status=201,
        errors=(400, 403, 404, 409, 415, 422),
    )
    def create_account(self, call: Call) -> dict[str, Any]:
        require_manager_of(call.caller, {}, call.body.get("roles", []))
        if call.body.get("person_id") and not call.caller.is_admin:
            # An account shows its person's record: only the person's own organisation gives one.
            call.caller.require_org(self.members_rpc.get_person(call.body["person_id"])["organisation_id"])
        return self.members_rpc.create_account(call.body, call.caller.subject)

    @route(
        "GET",
        "/api/v1/accounts",
        summary="List accounts (an org_admin: those with roles in its organisation)",
        access=AUTHENTICATED,
        tags=("accounts",),
        query=schemas.AccountQuery,
        response=schemas.Account,
        many=True,
        errors=(403,),
    )
    def list_accounts(self, call: Call) -> dict[str, Any]:
        query = dict(call.query)
        if not call.caller.is_admin:
            query["organisation_id"] = query.get("organisation_id") or call.caller.staff_org()
            call.caller.require_org(query["organisation_id"])
        return self.members_rpc.list_accounts(query)

    @route(
        "GET",
        "/api/v1/accounts/<string:account_id>",
        summary="An account with its roles and history (also to itself)",
        access=AUTHENTICATED,
        tags=("accounts",),
        response=schemas.Account,
        errors=(403, 404),
    )
    def get_account(self, call: Call, account_id: str) -> dict[str, Any]:
        account = self.members_rpc.get_account(account_id)
        if call.caller.account_id != account_id:
            require_manager_of(call.caller, account)
        return account

    @route(
        "PUT",
        "/api/v1/accounts/<string:account_id>/roles",
        summary="Replace an account's roles (from its next sign-in or refresh on)",
        access=AUTHENTICATED,
        tags=("accounts",),
        body=schemas.AccountRolesChange,
        response=schemas.Account,
        errors=(400, 403, 404, 415, 422),
    )
    def change_account_roles(self, call: Call, account_id: str) -> dict[str, Any]:
        require_manager_of(call.caller, self.members_rpc.get_account(account_id), call.body["roles"])
        return self.members_rpc.change_account_roles(account_id, call.body, call.caller.subject)

    @route(
        "PATCH",
        "/api/v1/accounts/<string:account_id>",
        summary="Disable or enable an account (disabling ends its sign-ins)",
        access=AUTHENTICATED,
        tags=("accounts",),
        body=schemas.AccountStatusChange,
        response=schemas.Account,
        errors=(400, 403, 404, 415),
    )
    def set_account_disabled(self, call: Call, account_id: str) -> dict[str, Any]:
        require_manager_of(call.caller, self.members_rpc.get_account(account_id))
        return self.members_rpc.set_account_disabled(account_id, call.body, call.caller.subject)

    @route(
        "POST",
        "/api/v1/accounts/<string:account_id>/reset-link",
        summary="Issue a one-time password reset link (shown only in this answer)",
        access=AUTHENTICATED,
        tags=("accounts",),
        response=schemas.ResetLink,
        status=201,
        errors=(403, 404),
    )
    def issue_reset_link(self, call: Call, account_id: str) -> dict[str, Any]:
        require_manager_of(call.caller, self.members_rpc.get_account(account_id))
        link = self.members_rpc.issue_reset_link(account_id, call.caller.subject)
        url = f"{public_base_url(self.accounts_config).rstrip('/')}/reset-password#token={link['token']}"
        return {**link, "url": url}

    @route(
        "POST",
        "/api/v1/accounts/<string:account_id>/oidc-links",
        summary="Link a single sign-on provider's subject (its stable `sub`) to an account",
        access=AUTHENTICATED,
        tags=("accounts",),
        body=schemas.OidcLinkCreate,
        status=201,
        errors=(400, 403, 404, 409, 415),
    )
    def link_oidc_subject(self, call: Call, account_id: str) -> dict[str, Any]:
        require_manager_of(call.caller, self.members_rpc.get_account(account_id))
        return self.members_rpc.link_oidc_subject(account_id, call.body, call.caller.subject)
