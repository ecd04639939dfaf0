"""The printable certificate: every font embedded, numbers and URLs never broken across lines."""

import ctypes
import re

import pypdfium2
import pypdfium2.raw as pdfium
import pytest

from gateway.pdf import certificate_pdf, verification_url, wrap

SKILL_LEVEL = {
    "kind": "skill_level",
    "title": "网络与信息安全管理员 职业技能等级证书 Network and Information Security Administrator",
    "occupation": "网络与信息安全管理员",
    "work_type": "网络安全管理员",
    "level_name": {"zh": "四级/中级工", "en": "Level 4 / intermediate worker"},
    "issuer_name": "重庆市渝中职业教育中心",
    "issued_at": "2026-06-30T00:00:00+00:00",
    "valid_until": None,
    "status": "active",
    "number": "S500150000123263000042",
}
# A long public address: at the usual size the URL would not fit its line.
BASE_URL = "https://zhijiao-lianmeng.cq.example.edu.cn"


def fonts_of_text(page) -> list[tuple[str, bool]]:
    """(base font name, embedded?) of every text object on the page, as PDFium reads them."""
    found = []
    for text_object in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_TEXT]):
        font = pdfium.FPDFTextObj_GetFont(text_object.raw)
        buffer = ctypes.create_string_buffer(256)
        length = pdfium.FPDFFont_GetBaseFontName(font, buffer, len(buffer))
        found.append((buffer.raw[: max(length - 1, 0)].decode(), bool(pdfium.FPDFFont_GetIsEmbedded(font))))
    return found


@pytest.mark.parametrize(
    "certificate",
    [SKILL_LEVEL, {**SKILL_LEVEL, "kind": "competition_award", "number": "CA-2026-1234567", "level_name": None}],
)
def test_every_font_is_embedded_and_the_number_and_url_stay_on_one_line(certificate):
    url = verification_url(BASE_URL, certificate["number"])
    pdf = certificate_pdf(certificate, "张三丰", url)

    # Every font the file names is an embedded TrueType subset (no standard Helvetica).
    base_fonts = re.findall(rb"/BaseFont\s*/([^\s/>]+)", pdf)
    assert base_fonts and all(re.fullmatch(rb"[A-Z]{6}\+WenQuanYiMicroHei.*", name) for name in base_fonts)
    assert pdf.count(b"/FontFile2") == len(set(base_fonts))
    page = pypdfium2.PdfDocument(pdf)[0]
    fonts = fonts_of_text(page)
    assert fonts and all(embedded for _, embedded in fonts), fonts

    lines = [line.strip() for line in page.get_textpage().get_text_range().splitlines()]
    assert url in lines
    assert f"证书编号 Number {certificate['number']}" in lines
    assert "Network" in " ".join(lines) and not any(line.endswith("Netw") for line in lines)


def test_lines_break_between_cjk_characters_and_at_spaces_never_inside_a_word_or_number():
    lines = wrap("网络搭建与应用 技能大赛 团体一等奖 Network Configuration CA-2026-000123", "Helvetica", 12, 150)

    assert "".join(lines).replace(" ", "") == "网络搭建与应用技能大赛团体一等奖NetworkConfigurationCA-2026-000123"
    words = {"Network", "Configuration", "CA-2026-000123"}
    assert all(word in " ".join(lines).split() for word in words)
    assert all(not line.startswith(" ") and not line.endswith(" ") for line in lines)
