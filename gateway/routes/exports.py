"""Spreadsheet exports: the lists of the JSON routes as XLSX or CSV.

The format is the suffix of the path: ``.xlsx``, or ``.csv`` (UTF-8 with a byte order mark so that
Excel reads Chinese). Access is that of the JSON route listing the same items; the export pages
through the same list RPC with the same filters. Text that a spreadsheet would run as a formula
(starting with = + - @) is prefixed with ``'``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from certificates_svc import schemas as certificates
from events_svc import schemas as events
from gateway import tables
from gateway.api import AUTHENTICATED, Call, route
from gateway.auth import MANAGE_PEOPLE, READ_STATISTICS, REGISTER
from gateway.routes.certificates import certificates_visible_to, discloses_holder_names
from gateway.routes.events import _viewer
from gateway.routes.spreadsheets import every_item
from gateway.spreadsheets import CSV, FORMATS, MEDIA_TYPES, XLSX, Column, write_table
from members_svc import schemas as members
from services.errors import NotFound

FILE_FORMAT = {
    "in": "path",
    "name": "file_format",
    "required": True,
    "schema": {"type": "string", "enum": list(FORMATS)},
    "description": "xlsx, or csv (UTF-8 with a byte order mark)",
}
SPREADSHEET_RESPONSE = {
    "200": {
        "description": "The table, with bilingual headers; text that could start a formula is prefixed with '",
        "content": {MEDIA_TYPES[XLSX]: {"schema": {"type": "string", "format": "binary"}}}
        | {f"{MEDIA_TYPES[CSV]}; charset=utf-8": {"schema": {"type": "string"}}},
    }
}
EXPORT = {"parameters": [FILE_FORMAT], "responses": SPREADSHEET_RESPONSE}


def spreadsheet_response(
    columns: tuple[Column, ...], rows: list[dict[str, Any]], file_format: str, name: str
) -> Response:
    """An attachment of ``rows`` as ``file_format``; NotFound for a format there is none of."""
    body = write_table(columns, rows, file_format, name)
    media_type = MEDIA_TYPES[file_format] + ("; charset=utf-8" if file_format == CSV else "")
    response = Response(body, status=200, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


def check_format(file_format: str) -> str:
    if file_format not in FORMATS:
        raise NotFound(f"there is no .{file_format} export; use .xlsx or .csv")
    return file_format


class ExportRoutes:
    @route(
        "GET",
        "/api/v1/organisations/<string:organisation_id>/people.<string:file_format>",
        summary="An organisation's people as a spreadsheet (national IDs masked)",
        access=AUTHENTICATED,
        tags=("spreadsheets", "people"),
        query=members.PeopleQuery,
        errors=(400, 403, 404, 422),
        content_type=MEDIA_TYPES[XLSX],
        openapi=EXPORT,
    )
    def export_people(self, call: Call, organisation_id: str, file_format: str) -> Response:
        check_format(file_format)
        call.caller.require(MANAGE_PEOPLE, organisation_id)
        people = every_item(lambda q: self.members_rpc.list_people(organisation_id, q), call.request.args.to_dict())
        return spreadsheet_response(tables.PEOPLE, tables.listed(people), file_format, "people")

    @route(
        "GET",
        "/api/v1/events/<string:event_id>/registrations.<string:file_format>",
        summary="An event's registrations as a spreadsheet (an org_admin: its own organisation's)",
        access=AUTHENTICATED,
        tags=("spreadsheets", "registrations"),
        query=events.RegistrationQuery,
        errors=(400, 403, 404, 422),
        content_type=MEDIA_TYPES[XLSX],
        openapi=EXPORT,
    )
    def export_registrations(self, call: Call, event_id: str, file_format: str) -> Response:
        check_format(file_format)
        event = self._visible_event(call, event_id)
        filters = call.request.args.to_dict()
        if not call.caller.can_act_for(event["organiser_id"]):
            call.caller.require(REGISTER, filters.setdefault("organisation_id", call.caller.org))
        viewer = _viewer(call)
        registrations = every_item(lambda q: self.events_rpc.list_registrations(event_id, q, viewer), filters)
        return spreadsheet_response(tables.REGISTRATIONS, tables.listed(registrations), file_format, "registrations")

    @route(
        "GET",
        "/api/v1/events/<string:event_id>/results.<string:file_format>",
        summary="An event's results as a spreadsheet",
        access=AUTHENTICATED,
        tags=("spreadsheets", "results"),
        errors=(403, 404),
        content_type=MEDIA_TYPES[XLSX],
        openapi=EXPORT,
    )
    def export_results(self, call: Call, event_id: str, file_format: str) -> Response:
        check_format(file_format)
        event = self._visible_event(call, event_id)
        organiser = call.caller.can_act_for(event["organiser_id"])
        results = self.events_rpc.get_results(event_id, _viewer(call), organiser)["results"]
        return spreadsheet_response(tables.RESULTS, tables.listed(results), file_format, "results")

    @route(
        "GET",
        "/api/v1/certificates.<string:file_format>",
        summary="The certificates the caller may list, with the list's filters, as a spreadsheet (holders' "
        "names for the alliance admin and the admins of the issuer or the holders' organisation)",
        access=AUTHENTICATED,
        tags=("spreadsheets", "certificates"),
        query=certificates.CertificateQuery,
        errors=(400, 403, 404, 422),
        content_type=MEDIA_TYPES[XLSX],
        openapi=EXPORT,
    )
    def export_certificates(self, call: Call, file_format: str) -> Response:
        check_format(file_format)
        disclosed = discloses_holder_names(call.caller)
        items = every_item(
            lambda query: self.certificates_rpc.list_certificates(query, disclosed),
            certificates_visible_to(call.caller, call.query),
        )
        return spreadsheet_response(tables.CERTIFICATES, tables.listed(items), file_format, "certificates")

    @route(
        "GET",
        "/api/v1/stats/attainment.<string:file_format>",
        summary="Attainment statistics by occupation and level, with the total, as a spreadsheet",
        access=AUTHENTICATED,
        tags=("spreadsheets", "statistics"),
        query=certificates.AttainmentQuery,
        errors=(400, 403, 404),
        content_type=MEDIA_TYPES[XLSX],
        openapi=EXPORT,
    )
    def export_attainment(self, call: Call, file_format: str) -> Response:
        check_format(file_format)
        organisation_id = call.query.get("organisation_id")
        if not call.caller.is_admin:
            organisation_id = organisation_id or call.caller.org
            call.caller.require(READ_STATISTICS, organisation_id)
        figures = self.certificates_rpc.attainment(organisation_id, call.query["year"])
        return spreadsheet_response(tables.ATTAINMENT, tables.attainment_rows(figures), file_format, "attainment")
