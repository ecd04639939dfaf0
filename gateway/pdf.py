"""The printable certificate: one A4 page, Chinese text in an embedded font, a QR code to verify it.

reportlab embeds (a subset of) TrueType fonts only, so the CJK face is WenQuanYi
Micro Hei (TrueType outlines, Apache-2.0), shipped on PyPI by
``paperang-p2-fonts-cjk``; OpenType/CFF faces such as Noto Sans CJK would not embed.
It has Latin glyphs too, and it is the canvas's initial font, so the page never
names reportlab's default Helvetica, which a PDF does not embed.

Lines break between CJK characters and at spaces, never inside a run of Latin
letters, digits and punctuation: a certificate number or a URL stays whole on
one line, drawn smaller when it would not fit.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import paperang_p2_fonts_cjk
import segno
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_NAME = "WenQuanYiMicroHei"
FONT_FILE = Path(paperang_p2_fonts_cjk.__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"

KIND_NAMES: dict[str, tuple[str, str]] = {
    "skill_level": ("职业技能等级证书", "Vocational Skill Level Certificate"),
    "competition_award": ("竞赛获奖证书", "Competition Award Certificate"),
    "training_completion": ("培训结业证书", "Training Completion Certificate"),
    "participation": ("参与证书", "Certificate of Participation"),
}
STATUS_NAMES: dict[str, str] = {
    "active": "有效 Valid",
    "suspended": "暂停 Suspended",
    "revoked": "已撤销 Revoked",
    "expired": "已过期 Expired",
}
INK = HexColor("#1f2a44")
ACCENT = HexColor("#b22222")
MUTED = HexColor("#5a6478")


@cache
def font() -> str:
    """Register the CJK font once per process; the name to draw with."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE), subfontIndex=0))
    return FONT_NAME


def verification_url(base_url: str, number: str) -> str:
    """Where the certificate's QR code leads: the public verification page."""
    return f"{base_url.rstrip('/')}/verify?number={quote(number, safe='')}"


def _date(value: str | None) -> str:
    if not value:
        return "—"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d")


def _rows(certificate: dict[str, Any], holder: str) -> list[tuple[str, str]]:
    names = certificate.get("level_name")
    level_name = f"{names['zh']}  {names['en']}" if names else None
    rows = [
        ("持证人 Holder", holder),
        ("证书名称 Title", certificate["title"]),
        (
            "职业（工种） Occupation",
            " / ".join(v for v in (certificate.get("occupation"), certificate.get("work_type")) if v) or None,
        ),
        ("等级 Level", level_name),
        ("发证机构 Issuer", certificate["issuer_name"]),
        ("发证日期 Issued", _date(certificate.get("issued_at"))),
        (
            "有效期至 Valid until",
            _date(certificate.get("valid_until")) if certificate.get("valid_until") else "长期有效 No expiry",
        ),
        ("状态 Status", STATUS_NAMES.get(certificate["status"], certificate["status"])),
        ("证书编号 Number", certificate["number"]),
    ]
    return [(label, value) for label, value in rows if value]


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares, so it prints sharp at any size (drawn on the canvas itself:
    reportlab's graphics renderer would name its default Helvetica, never embedded)."""
    matrix = [list(row) for row in segno.make_qr(url, error="m").matrix_iter(border=4)]
    cell = size / len(matrix)
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(INK)
    for row_index, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                canvas.rect(x + column * cell, y + size - (row_index + 1) * cell, cell, cell, stroke=0, fill=1)
    canvas.restoreState()


def certificate_pdf(certificate: dict[str, Any], holder: str, verify_url: str) -> bytes:
    """One A4 page for ``certificate`` (a Certificate dump) with ``holder`` as the name shown."""
    face = font()
    width, height = A4
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=face, initialFontSize=10)
    canvas.setTitle(f"{certificate['title']} {certificate['number']}")
    canvas.setAuthor(certificate["issuer_name"])
    canvas.setSubject("证书 Certificate")

    canvas.setStrokeColor(INK)
    canvas.setLineWidth(2.5)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.6)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    zh, en = KIND_NAMES.get(certificate["kind"], ("证书", "Certificate"))
    canvas.setFillColor(ACCENT)
    canvas.setFont(face, 30)
    canvas.drawCentredString(width / 2, height - 50 * mm, zh)
    canvas.setFillColor(MUTED)
    canvas.setFont(face, 13)
    canvas.drawCentredString(width / 2, height - 60 * mm, en)

    canvas.setFillColor(INK)
    y = height - 85 * mm
    for label, value in _rows(certificate, holder):
        canvas.setFont(face, 10)
        canvas.setFillColor(MUTED)
        canvas.drawString(30 * mm, y, label)
        canvas.setFillColor(INK)
        if value == certificate["number"]:
            lines, size = [value], fitting_size(value, face, 13, width - 105 * mm)
        else:
            lines, size = wrap(value, face, 13, width - 105 * mm), 13
        canvas.setFont(face, size)
        for line in lines:
            canvas.drawString(85 * mm, y, line)
            y -= 7 * mm
        y -= 4 * mm

    size = 42 * mm
    _draw_qr(canvas, verify_url, width - 30 * mm - size, 30 * mm, size)
    canvas.setFont(face, 9)
    canvas.setFillColor(MUTED)
    canvas.drawString(30 * mm, 52 * mm, "扫码或访问以下地址核验本证书 Scan or visit to verify:")
    # The URL on one line, smaller if need be: a URL broken in two is mistyped.
    canvas.setFont(face, fitting_size(verify_url, face, 9, width - 65 * mm - size))
    canvas.drawString(30 * mm, 46 * mm, verify_url)
    canvas.setFont(face, 9)
    canvas.drawString(30 * mm, 30 * mm, "本证书以数字签名的可验证凭证为准 The signed verifiable credential prevails.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# Runs that must not break: Latin letters, digits and their punctuation (numbers, URLs, words);
# everything else is one CJK character or a run of spaces.
_TOKENS = re.compile(r"\s+|[\u0021-\u007e\u00a1-\u024f]+|.")


def fitting_size(text: str, face: str, size: float, width: float) -> float:
    """``size``, or the smaller size at which ``text`` fits ``width`` on one line."""
    natural = pdfmetrics.stringWidth(text, face, size)
    return size if natural <= width else size * width / natural


def wrap(text: str, face: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: between CJK characters and at spaces,
    never inside a Latin word, number or URL (one wider than a line is split only as a last resort)."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            line = f"{line}{token}" if line else ""
            continue
        if not line or pdfmetrics.stringWidth(line + token, face, size) <= width:
            line += token
            continue
        lines.append(line.rstrip())
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return [piece for line in lines for piece in _split_overlong(line, face, size, width)] or [""]


def _split_overlong(line: str, face: str, size: float, width: float) -> list[str]:
    # Only a single token wider than the whole line gets here.
    if pdfmetrics.stringWidth(line, face, size) <= width:
        return [line]
    pieces, piece = [], ""
    for char in line:
        if piece and pdfmetrics.stringWidth(piece + char, face, size) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece]
