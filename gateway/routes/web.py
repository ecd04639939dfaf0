"""The web pages (verification, calendar, dashboard) and the printable certificate.

The pages are plain HTML, CSS and JavaScript files packaged under
``gateway/static/web``: no build step, nothing loaded from elsewhere. They call
the same public API as any other client.
"""

from __future__ import annotations

from pathlib import Path

from marshmallow import Schema, fields, validate
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from gateway.api import PUBLIC, Call, route
from gateway.pdf import certificate_pdf, verification_url
from gateway.rate_limits import LOOKUP_LIMIT, PAGE_LIMIT
from gateway.routes.system import static_response
from services.config import public_base_url
from services.errors import NotFound
from services.identity import mask_name

WEB = Path(__file__).resolve().parent.parent / "static" / "web"
PAGES = {"verify": "verify.html", "calendar": "calendar.html", "dashboard": "dashboard.html"}
PDF = "application/pdf"


class CertificatePdfQuery(Schema):
    name = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the holder's full name: printed in full when it matches, else the name is masked"},
    )


class WebRoutes:
    web_config = Config()

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
        certificate = self.certificates_rpc.get_certificate(number)
        name = self.members_rpc.get_person(certificate["holder_id"])["name"]
        if call.query["name"] is not None:
            # The same check as public verification: a wrong name learns nothing more than a 404.
            self.certificates_rpc.verify_certificate(number, call.query["name"])
            holder = name
        else:
            holder = mask_name(name)
        base_url = public_base_url(self.web_config)
        body = certificate_pdf(certificate, holder, verification_url(base_url, number))
        response = Response(body, status=200, content_type=PDF)
        response.headers["Content-Disposition"] = f'inline; filename="{number}.pdf"'
        response.headers["Cache-Control"] = "no-store"  # its status may change at any time
        return response
