"""The web app, the public web pages (verification, calendar, dashboard) and the printable certificate.

The pages are plain HTML, CSS and JavaScript files packaged under
``gateway/static/web``: no build step, nothing loaded from elsewhere. They call
the same public API as any other client.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import eventlet
from marshmallow import Schema, fields, validate
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from certificates_svc.schemas import CertificateQuery
from gateway.api import AUTHENTICATED, PUBLIC, Call, route
from gateway.pdf import certificate_pdf, verification_url
from gateway.rate_limits import LOOKUP_LIMIT, PAGE_LIMIT
from gateway.routes.certificates import certificates_visible_to, require_staff_of, share_page_url
from gateway.routes.system import static_response
from services.config import public_base_url
from services.errors import Forbidden, NotFound, Unprocessable
from services.pagination import MAX_LIMIT

WEB = Path(__file__).resolve().parent.parent / "static" / "web"
# The web app for the alliance's staff and students: one page whose modules draw each screen.
APP = Path(__file__).resolve().parent.parent / "static" / "app"
PAGES = {"verify": "verify.html", "calendar": "calendar.html", "dashboard": "dashboard.html", "shared": "shared.html"}
PDF = "application/pdf"
ZIP = "application/zip"
# Rendering one certificate takes some 50 ms of the gateway's CPU: a ZIP is a class or a cohort, not the alliance.
MAX_ZIP_CERTIFICATES = 500


class CertificatePdfQuery(Schema):
    name = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the holder's full name; needed unless the token acts for the issuer or holder"},
    )


class CertificateFilesQuery(CertificateQuery):
    """The certificate list's filters, without its page: a ZIP holds every match."""

    class Meta:
        exclude = ("limit", "cursor")


def pdf_response(certificate: dict[str, Any], holder_name: str, qr_url: str) -> Response:
    """The printable certificate as an answer that no cache keeps (its status may change at any time)."""
    response = Response(certificate_pdf(certificate, holder_name, qr_url), status=200, content_type=PDF)
    response.headers["Content-Disposition"] = f'inline; filename="{certificate["number"]}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def every_disclosed_certificate(
    fetch_page: Callable[[dict[str, Any]], dict[str, Any]], filters: dict[str, Any]
) -> list[dict[str, Any]]:
    """The certificates (with holder names) of a list RPC and ``filters``: at least one and at most
    MAX_ZIP_CERTIFICATES, else Unprocessable."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = fetch_page({**filters, "limit": MAX_LIMIT, **({"cursor": cursor} if cursor else {})})
        found += page["items"]
        if len(found) > MAX_ZIP_CERTIFICATES:
            raise Unprocessable(
                f"a ZIP holds at most {MAX_ZIP_CERTIFICATES} certificates and these filters match more; "
                "narrow them (year, kind, level, occupation, event...)",
                {"_schema": [f"more than {MAX_ZIP_CERTIFICATES} certificates"]},
            )
        cursor = page["next_cursor"]
        if not cursor:
            break
    if not found:
        raise Unprocessable("no certificate matches these filters", {"_schema": ["no certificate matches"]})
    return found


def pdf_archive(disclosed: list[dict[str, Any]], base_url: str) -> bytes:
    """A ZIP of each certificate's printable PDF (certificates with their ``holder_name``), named ``<number>.pdf``."""
    buffer = io.BytesIO()
    # Stored, not deflated: a PDF's streams are compressed already.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for certificate in disclosed:
            number = certificate["number"]
            archive.writestr(
                f"{number}.pdf",
                certificate_pdf(certificate, certificate["holder_name"], verification_url(base_url, number)),
            )
            # Each PDF holds the gateway's only thread for a while: let other requests through between them.
            eventlet.sleep(0)
    return buffer.getvalue()


def app_page() -> Response:
    response = static_response(APP / "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def staff_may_see(call: Call, certificate: dict[str, Any]) -> bool:
    """Whether the caller acts for the certificate's issuer or its holder's organisation."""
    try:
        require_staff_of(call.caller, certificate)
    except Forbidden:
        return False
    return True


class WebRoutes:
    web_config = Config()

    @route(
        "GET",
        "/",
        summary="Web app: sign in, then the screens of the caller's roles",
        access=PUBLIC,
        tags=("web",),
        content_type="text/html",
        rate_limit=PAGE_LIMIT,
    )
    def web_app(self, call: Call) -> Response:
        return app_page()

    @route(
        "GET",
        "/reset-password",
        summary="Web app: set a new password with a one-time reset link (the token is in the fragment)",
        access=PUBLIC,
        tags=("web",),
        content_type="text/html",
        rate_limit=PAGE_LIMIT,
    )
    def reset_password_page(self, call: Call) -> Response:
        return app_page()

    @route(
        "GET",
        "/app/<string:name>",
        summary="Modules and styles of the web app",
        access=PUBLIC,
        tags=("web",),
        errors=(404,),
        content_type="application/octet-stream",
    )
    def app_asset(self, call: Call, name: str) -> Response:
        if name == "index.html" or name not in {path.name for path in APP.iterdir() if path.is_file()}:
            raise NotFound(f"no web app asset {name}")
        response = static_response(APP / name)
        # The app's modules change together: a browser asks again each time rather than mix versions.
        response.headers["Cache-Control"] = "no-cache"
        return response

    @route(
        "GET",
        "/verify",
        summary="Web page: verify a certificate by number and holder name",
        access=PUBLIC,
        tags=("web",),
        content_type="text/html",
        rate_limit=PAGE_LIMIT,
    )
    def verify_page(self, call: Call) -> Response:
        return static_response(WEB / PAGES["verify"])

    @route(
        "GET",
        "/calendar",
        summary="Web page: the alliance's upcoming and past events",
        access=PUBLIC,
        tags=("web",),
        content_type="text/html",
        rate_limit=PAGE_LIMIT,
    )
    def calendar_page(self, call: Call) -> Response:
        return static_response(WEB / PAGES["calendar"])

    @route(
        "GET",
        "/dashboard",
        summary="Web page: certificates, attainment and events as charts (token)",
        access=PUBLIC,
        tags=("web",),
        content_type="text/html",
        rate_limit=PAGE_LIMIT,
    )
    def dashboard_page(self, call: Call) -> Response:
        return static_response(WEB / PAGES["dashboard"])

    @route(
        "GET",
        "/web/<string:name>",
        summary="Scripts and styles of the web pages",
        access=PUBLIC,
        tags=("web",),
        errors=(404,),
        content_type="application/octet-stream",
    )
    def web_asset(self, call: Call, name: str) -> Response:
        if name not in {path.name for path in WEB.iterdir() if path.is_file()}:
            raise NotFound(f"no web asset {name}")
        return static_response(WEB / name)

    @route(
        "GET",
        "/s/<string:token>",
        summary="Web page: a certificate shared through a share link",
        access=PUBLIC,
        tags=("web",),
        content_type="text/html",
        rate_limit=PAGE_LIMIT,
    )
    def shared_page(self, call: Call, token: str) -> Response:
        return static_response(WEB / PAGES["shared"])

    @route(
        "GET",
        "/api/v1/certificates/<string:number>.pdf",
        summary="The printable certificate (A4 PDF with a QR code to the verification page)",
        access=PUBLIC,
        tags=("certificates",),
        query=CertificatePdfQuery,
        errors=(400, 404),
        content_type=PDF,
        rate_limit=LOOKUP_LIMIT,
    )
    def certificate_pdf(self, call: Call, number: str) -> Response:
        disclosed = None
        if call.principal is not None:
            try:
                disclosed = self.certificates_rpc.disclosed_certificate(number)
            except NotFound:
                disclosed = None
            if disclosed is not None and not staff_may_see(call, disclosed["certificate"]):
                disclosed = None
        if disclosed is None:
            # Unknown number, wrong or missing name, no access: one lookup, one comparison, one answer.
            disclosed = self.certificates_rpc.certificate_for_holder_name(number, call.query["name"] or "")
        base_url = public_base_url(self.web_config)
        # The stored number, however it was typed.
        canonical = disclosed["certificate"]["number"]
        return pdf_response(disclosed["certificate"], disclosed["holder_name"], verification_url(base_url, canonical))

    @route(
        "GET",
        "/api/v1/certificates.zip",
        summary=f"The printable certificates (PDF, named by number) of the certificates the list's filters "
        f"match, in one ZIP: the alliance admin any, an org_admin those its list shows; at most "
        f"{MAX_ZIP_CERTIFICATES} (more, or none: 422 — narrow the filters)",
        access=AUTHENTICATED,
        tags=("certificates",),
        query=CertificateFilesQuery,
        errors=(400, 403, 422),
        content_type=ZIP,
        openapi={
            "responses": {
                "200": {
                    "description": "A ZIP of `<number>.pdf` files, one per matching certificate",
                    "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}},
                },
                "422": {
                    "description": f"More than {MAX_ZIP_CERTIFICATES} certificates match, or none does",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            }
        },
    )
    def certificates_zip(self, call: Call) -> Response:
        if not call.caller.is_admin:
            call.caller.require_org(call.caller.org)
        filters = certificates_visible_to(call.caller, call.query)
        named = partial(self.certificates_rpc.list_certificates, with_holder_names=True)
        disclosed = every_disclosed_certificate(named, filters)
        response = Response(pdf_archive(disclosed, public_base_url(self.web_config)), status=200, content_type=ZIP)
        response.headers["Content-Disposition"] = 'attachment; filename="certificates.zip"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @route(
        "GET",
        "/api/v1/shared/<string:token>.pdf",
        summary="The printable certificate of a share link (its QR code leads back to the shared page)",
        access=PUBLIC,
        tags=("verification",),
        errors=(404,),
        content_type=PDF,
        rate_limit=LOOKUP_LIMIT,
    )
    def shared_certificate_pdf(self, call: Call, token: str) -> Response:
        shared = self.certificates_rpc.open_share_link(token)
        base_url = public_base_url(self.web_config)
        return pdf_response(shared["certificate"], shared["holder_name"], share_page_url(base_url, token))
