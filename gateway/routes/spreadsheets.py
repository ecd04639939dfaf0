"""Spreadsheet imports: rosters and assessment results from XLSX or CSV, and their templates.

An import is uploaded as the form field ``file`` of a multipart/form-data body (a browser form,
``curl -F file=@roster.xlsx``) or as the raw body with the file's media type (``curl
--data-binary @roster.csv -H 'Content-Type: text/csv'``); the file's own bytes decide whether it is
read as XLSX or CSV. ``mode=preview`` checks every row and writes nothing; ``all_or_nothing``
queues every row or, if any row has an error, none (422); ``row_level`` queues the rows without
errors and reports the others. What is queued is written by a job whose progress the answer's
``job`` links to. Rows are numbered as the spreadsheet numbers them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.wrappers import Request, Response

from certificates_svc import schemas as certificates
from gateway import tables
from gateway.api import AUTHENTICATED, PUBLIC, Call, route
from gateway.auth import ASSESS, MANAGE_PEOPLE
from gateway.http import json_response
from gateway.spreadsheets import CSV, FORMATS, MEDIA_TYPES, XLSX, Column, SheetRow, read_table, template
from members_svc import schemas as members
from services.errors import InvalidInput, Unprocessable
from services.fields import ResponseSchema
from services.pagination import MAX_LIMIT
from services.validation import StrictSchema, load

PREVIEW, ALL_OR_NOTHING, ROW_LEVEL = "preview", "all_or_nothing", "row_level"
MODES = (PREVIEW, ALL_OR_NOTHING, ROW_LEVEL)
# Beyond this an export asks for narrower filters rather than hold the whole list in memory.
MAX_EXPORT_ROWS = 50_000
# What a browser or curl may call a spreadsheet it uploads as the raw body.
UPLOAD_MEDIA_TYPES = {
    MEDIA_TYPES[XLSX]: XLSX,
    MEDIA_TYPES[CSV]: CSV,
    "application/csv": CSV,
    "application/vnd.ms-excel": None,  # what Windows browsers call a .csv
    "application/octet-stream": None,
}


def _upload_body(columns: tuple[Column, ...]) -> dict[str, Any]:
    headers = ", ".join(column.header for column in columns)
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "requestBody": {
            "required": True,
            "description": f"An .xlsx or .csv file whose header row names the columns {headers}",
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": binary["schema"]}, "required": ["file"]}
                },
                MEDIA_TYPES[XLSX]: binary,
                MEDIA_TYPES[CSV]: binary,
            },
        }
    }


class ImportRowError(Schema):
    row = fields.Integer(metadata={"description": "the row's number in the spreadsheet (the header is usually 1)"})
    column = fields.String(allow_none=True, metadata={"description": "the column's header; null for the whole row"})
    field = fields.String(allow_none=True, metadata={"description": "the API field the column holds"})
    messages = fields.List(fields.String())


class ImportReport(ResponseSchema):
    mode = fields.String(metadata={"enum": list(MODES)})
    rows = fields.Integer(metadata={"description": "data rows read"})
    valid = fields.Integer(metadata={"description": "rows without errors"})
    written = fields.Integer(metadata={"description": "rows registered or queued; 0 in a preview"})
    errors = fields.List(fields.Nested(ImportRowError))
    job = fields.Dict(
        allow_none=True,
        metadata={
            "description": "the queued work, none in a preview: a roster's PeopleImport "
            "(GET /api/v1/people-imports/{import_id}), an assessment's Job (GET /api/v1/jobs/{job_id})"
        },
    )


class RosterImportQuery(StrictSchema):
    mode = fields.String(load_default=PREVIEW, validate=validate.OneOf(MODES))


class AssessmentImportQuery(StrictSchema):
    """The assessment's own fields (as in AssessmentCreate); the results come from the file."""

    mode = fields.String(load_default=PREVIEW, validate=validate.OneOf(MODES))
    issuer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occupation = fields.String(required=True, validate=validate.Length(min=1, max=100))
    work_type = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    level = fields.Integer(required=True, validate=validate.Range(1, 5))
    assessed_on = fields.Date(required=True)
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    external_ref = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    organisation_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "whose student numbers the file gives (default: the issuer's)"},
    )


def uploaded_file(request: Request) -> tuple[bytes, str | None]:
    """The uploaded file's bytes and the format its name or media type claims (None if neither says)."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("send the spreadsheet as the form field 'file'", {"file": ["missing"]})
        suffix = (upload.filename or "").rsplit(".", 1)[-1].lower()
        return upload.read(), suffix if suffix in FORMATS else None
    if request.mimetype not in UPLOAD_MEDIA_TYPES:
        raise UnsupportedMediaType("send an .xlsx or .csv file, as multipart/form-data or as the raw body")
    return request.get_data(cache=True), UPLOAD_MEDIA_TYPES[request.mimetype]


def every_item(fetch_page: Callable[[dict[str, Any]], dict[str, Any]], filters: dict[str, Any]) -> list[dict]:
    """Every item of a list RPC with ``filters``, page by page; Unprocessable past MAX_EXPORT_ROWS."""
    query = {k: v for k, v in filters.items() if k not in ("limit", "cursor")}
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = fetch_page({**query, "limit": MAX_LIMIT, **({"cursor": cursor} if cursor else {})})
        items += page["items"]
        if len(items) > MAX_EXPORT_ROWS:
            raise Unprocessable(
                f"an export holds at most {MAX_EXPORT_ROWS} rows; narrow it with the list's filters",
                {"_schema": [f"more than {MAX_EXPORT_ROWS} rows"]},
            )
        cursor = page["next_cursor"]
        if not cursor:
            return items


def import_outcome(mode: str, rows: list[SheetRow], errors: list[dict[str, Any]]) -> list[int]:
    """The indexes of the rows to write; Unprocessable when ``mode`` forbids writing with these errors."""
    failed = {error["row"] for error in errors}
    good = [index for index, row in enumerate(rows) if row.number not in failed]
    if mode == PREVIEW:
        return []
    if (mode == ALL_OR_NOTHING and errors) or not good:
        pointers: dict[str, list[str]] = {}
        for error in errors:
            pointer = f"/rows/{error['row']}" + (f"/{error['field']}" if error["field"] else "")
            pointers.setdefault(pointer, []).extend(error["messages"])
        raise Unprocessable(
            f"{len(failed)} of {len(rows)} rows have errors (numbered as in the spreadsheet); nothing was written",
            pointers,
        )
    return good


def report(mode: str, rows: list[SheetRow], errors: list[dict[str, Any]], written: int, **more: Any) -> dict:
    """An ImportReport (``more``: the queued job, as its service answers it)."""
    return {
        "mode": mode,
        "rows": len(rows),
        "valid": len(rows) - len({error["row"] for error in errors}),
        "written": written,
        "errors": errors,
        **more,
    }


class SpreadsheetRoutes:
    # templates

    @route(
        "GET",
        "/api/v1/templates/roster.xlsx",
        summary="A roster to fill in: the columns a roster import reads, with an example row",
        access=PUBLIC,
        tags=("spreadsheets",),
        content_type=MEDIA_TYPES[XLSX],
    )
    def roster_template(self, call: Call) -> Response:
        return _attachment(template(tables.ROSTER, "roster", tables.ROSTER_EXAMPLE), "roster")

    @route(
        "GET",
        "/api/v1/templates/assessment-results.xlsx",
        summary="Assessment results to fill in: the columns a results import reads, with an example row",
        access=PUBLIC,
        tags=("spreadsheets",),
        content_type=MEDIA_TYPES[XLSX],
    )
    def assessment_results_template(self, call: Call) -> Response:
        body = template(tables.ASSESSMENT_RESULTS, "assessment-results", tables.ASSESSMENT_RESULTS_EXAMPLE)
        return _attachment(body, "assessment-results")

    # imports

    @route(
        "POST",
        "/api/v1/organisations/<string:organisation_id>/people/import",
        summary="Import a roster (.xlsx or .csv): preview, or queue (202 with the import) all rows or none, "
        "or the rows without errors",
        access=AUTHENTICATED,
        tags=("spreadsheets", "people"),
        query=RosterImportQuery,
        response=ImportReport,
        status=202,
        errors=(400, 403, 404, 409, 413, 415, 422),
        openapi={**_upload_body(tables.ROSTER), "responses": {"200": {"description": "mode=preview: the report"}}},
    )
    def import_roster(self, call: Call, organisation_id: str) -> Any:
        call.caller.require(MANAGE_PEOPLE, organisation_id)
        mode = call.query["mode"]
        data, declared = uploaded_file(call.request)
        rows = read_table(data, tables.ROSTER, tables.MAX_ROSTER_ROWS, declared)
        people = [tables.person_from_row(row) for row in rows]
        checked = self.members_rpc.check_people(organisation_id, {"people": people})["problems"]
        errors = tables.row_errors(rows, tables.ROSTER, {int(index): found for index, found in checked.items()})
        good = import_outcome(mode, rows, errors)
        if mode == PREVIEW:
            return json_response(report(mode, rows, errors, 0))
        submitted = {"mode": mode, "people": [people[i] for i in good], "rows": [rows[i].number for i in good]}
        job = self.members_rpc.submit_people_import(organisation_id, submitted, call.caller.subject)
        return report(mode, rows, errors, len(good), job=job)

    @route(
        "GET",
        "/api/v1/people-imports/<string:import_id>",
        summary="Progress and per-row errors of a roster import",
        access=AUTHENTICATED,
        tags=("spreadsheets", "people"),
        response=members.PeopleImport,
        errors=(403, 404),
    )
    def get_people_import(self, call: Call, import_id: str) -> dict[str, Any]:
        job = self.members_rpc.get_people_import(import_id)
        call.caller.require(MANAGE_PEOPLE, job["organisation_id"])
        return job

    @route(
        "POST",
        "/api/v1/assessments/import",
        summary="Import an assessment's results (.xlsx or .csv): preview, or queue it (202 with the job) "
        "with all rows or none, or with the rows without errors",
        access=AUTHENTICATED,
        tags=("spreadsheets", "certificates"),
        query=AssessmentImportQuery,
        response=ImportReport,
        status=202,
        errors=(400, 403, 404, 413, 415, 422),
        openapi={
            **_upload_body(tables.ASSESSMENT_RESULTS),
            "responses": {"200": {"description": "mode=preview: the report"}},
        },
    )
    def import_assessment_results(self, call: Call) -> Any:
        query = call.query
        call.caller.require(ASSESS, query["issuer_id"])
        candidates_of = query["organisation_id"] or query["issuer_id"]
        if candidates_of != query["issuer_id"]:
            call.caller.require(MANAGE_PEOPLE, candidates_of)
        data, declared = uploaded_file(call.request)
        rows = read_table(data, tables.ASSESSMENT_RESULTS, tables.MAX_RESULT_ROWS, declared)
        results, problems = self._results_from_rows(rows, candidates_of)
        assessment = {
            k: v.isoformat() if k == "assessed_on" else v
            for k, v in query.items()
            if k not in ("mode", "organisation_id") and v is not None
        }
        readable = sorted(results)
        if readable:
            checked = self.certificates_rpc.check_assessment(
                {**assessment, "results": [results[i] for i in readable]}, call.caller.is_admin
            )["problems"]
            for position, found in checked.items():
                problems.setdefault(readable[int(position)], {}).update(found)
        errors = tables.row_errors(rows, tables.ASSESSMENT_RESULTS, problems)
        good = import_outcome(query["mode"], rows, errors)
        if query["mode"] == PREVIEW:
            return json_response(report(PREVIEW, rows, errors, 0))
        job = self.certificates_rpc.submit_assessment(
            {**assessment, "results": [results[i] for i in good]}, call.caller.is_admin, call.caller.subject
        )
        return report(query["mode"], rows, errors, len(good), job=job)

    def _results_from_rows(
        self, rows: list[SheetRow], organisation_id: str
    ) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, list[str]]]]:
        """AssessmentResult bodies by row index, and the problems of the rows that gave none."""
        by_number: dict[str, str] | None = None
        results: dict[int, dict[str, Any]] = {}
        problems: dict[int, dict[str, list[str]]] = {}
        seen: set[str] = set()
        for index, row in enumerate(rows):
            values = row.values
            person_id = values["person_id"]
            if person_id is None and values["student_number"] is not None:
                if by_number is None:
                    people = every_item(lambda q: self.members_rpc.list_people(organisation_id, q), {})
                    by_number = {p["student_number"]: p["id"] for p in people if p.get("student_number")}
                person_id = by_number.get(values["student_number"])
                if person_id is None:
                    problems[index] = {"student_number": ["no person of the organisation has this student number"]}
                    continue
            if person_id is None:
                problems[index] = {"person_id": ["give the candidate's person ID or student number"]}
                continue
            if person_id in seen:
                problems[index] = {"person_id": ["the same candidate as an earlier row"]}
                continue
            seen.add(person_id)
            try:
                passed = tables.passed_from_text(values["passed"])
                body = {"person_id": person_id, "passed": passed}
                if values["score"] is not None:
                    body["score"] = values["score"]
                results[index] = load(certificates.AssessmentResult, body)
            except ValueError as exc:
                problems[index] = {"passed": [str(exc)]}
            except InvalidInput as exc:
                problems[index] = exc.details
        return results, problems


def _attachment(body: bytes, name: str) -> Response:
    response = Response(body, status=200, content_type=MEDIA_TYPES[XLSX])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
