"""A small sample collection of real files in mixed formats, for the demo, tests and benchmarks."""

from __future__ import annotations

import math
import struct
import wave
import zipfile
from pathlib import Path

SAMPLE_TITLE = "Parish of St Michael: records 1890-1950"


def make_sample_collection(dest: Path) -> list[Path]:
    """Write the sample collection into ``dest`` (created); return the files written."""
    dest.mkdir(parents=True, exist_ok=True)
    makers = [
        ("photographs/harbour-1923.jpg", _jpeg),
        ("photographs/church-tower.png", _png),
        ("photographs/estate-map.tif", _tiff),
        ("documents/vestry-minutes-1923.pdf", _pdf),
        ("documents/restoration-report.docx", _docx),
        ("documents/tithe-accounts.xlsx", _xlsx),
        ("documents/letter-to-the-bishop.odt", _odt),
        ("documents/transcription-notes.txt", _text),
        ("data/burials-1890-1950.csv", _csv),
        ("audio/oral-history-interview.wav", _wav),
        ("web/parish-newsletter.html", _html),
    ]
    written = []
    for relative, make in makers:
        path = dest / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        make(path)
        written.append(path)
    return written


def _image(size: tuple[int, int], seed: int):
    from PIL import Image, ImageDraw  # imported here: ~11 ms at every start-up, and only `preserve demo` needs it  # noqa: PLC0415

    image = Image.new("RGB", size, (200 - seed * 10, 180, 150 + seed * 5))
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 16):
        draw.line([(i, 0), (size[0] - i, size[1])], fill=(40 + seed * 20, 60, 90), width=2)
    draw.rectangle([size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2], outline=(10, 10, 10), width=3)
    return image


def _jpeg(path: Path) -> None:
    _image((320, 240), 1).save(path, "JPEG", quality=85)


def _png(path: Path) -> None:
    _image((240, 320), 2).save(path, "PNG")


def _tiff(path: Path) -> None:
    _image((300, 200), 3).save(path, "TIFF", compression="tiff_lzw", dpi=(300, 300))  # baseline TIFF asks for it


VESTRY_MINUTES = (
    "Vestry meeting, 4 April 1923",
    "Present: the Vicar, both churchwardens and six parishioners.",
    "Resolved that the tower clock be repaired before Whitsun.",
)
WINDOW_REPORT = (
    "Report on the restoration of the west window, 1931.",
    "The glass was removed in sections and releaded by a firm from Exeter.",
)


def _pdf(path: Path, lines: tuple[str, ...] = VESTRY_MINUTES) -> None:
    import pikepdf  # imported here: ~25 ms at every start-up, and only `preserve demo` needs it  # noqa: PLC0415

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    text = "BT /F1 14 Tf 72 720 Td 18 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    page = pikepdf.Page(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(text.encode("latin-1")),
        )
    )
    pdf.pages.append(page)
    pdf.docinfo["/Title"] = "Vestry minutes 1923"
    pdf.docinfo["/Producer"] = "Parish Office Scanner 2.1"
    pdf.save(path)


_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="{target}"/></Relationships>'
)


def _docx(path: Path, paragraphs: tuple[str, ...] = WINDOW_REPORT) -> None:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", _RELS.format(target="word/document.xml"))
        archive.writestr("word/document.xml", document)


def _xlsx(path: Path) -> None:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {ns} {rel_ns}>'
        '<sheets><sheet name="Tithes" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    rows = [("Year", "Amount"), ("1890", "112"), ("1891", "118"), ("1892", "109")]
    cells = "".join(
        f'<row r="{i}">'
        + "".join(
            f'<c r="{col}{i}" t="inlineStr"><is><t>{value}</t></is></c>' for col, value in zip("AB", row, strict=True)
        )
        + "</row>"
        for i, row in enumerate(rows, start=1)
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<worksheet {ns}><sheetData>{cells}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", _RELS.format(target="xl/workbook.xml"))
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)


def write_odf(path: Path, mimetype: str, body: str) -> None:
    """A minimal OpenDocument file: mimetype first and stored, a manifest, and ``body`` in content.xml."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body>{body}</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)


def _odt(path: Path) -> None:
    write_odf(
        path,
        "application/vnd.oasis.opendocument.text",
        "<office:text><text:p>My Lord Bishop, the parish begs leave to report that the new organ was "
        "dedicated on Easter Day.</text:p></office:text>",
    )


def _text(path: Path) -> None:
    path.write_text(
        "Transcription notes\n\nThe burial register for 1918 is water-damaged on folios 12-14;\n"
        "readings there are marked [?]. Spellings follow the original.\n",
        encoding="utf-8",
    )


def _csv(path: Path) -> None:
    rows = [
        "name,age,date_of_burial,abode",
        "Ann Harvey,74,1890-02-11,Church Street",
        "Thomas Penrose,3,1890-05-30,Mill Lane",
        "Mary Jane Rowe,81,1918-11-02,The Vicarage Cottages",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _wav(path: Path) -> None:
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate) * math.exp(-i / rate)))
        for i in range(rate * 2)
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def _html(path: Path) -> None:
    path.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Parish newsletter</title></head>'
        "<body><h1>Parish newsletter, Advent 1949</h1><p>The harvest supper raised eleven pounds.</p>"
        "</body></html>\n",
        encoding="utf-8",
    )
