"""A corpus of real files in 30+ formats, made by the tests themselves (no downloads).

Each entry names the PRONOM identifier the file is known to be (by the current PRONOM signatures,
DROID V118 and containers 2024-05-01) and how it must be recognised: GIF 87a, lossy WebP, PCX 5,
binary PPM, TGA 2.0 with its footer, ODF 1.2 by its container signature, Excel 97 (BIFF8) in OLE2.
Files come from the standard library, Pillow, pikepdf, xlwt and hand-written bytes that follow
each format's specification.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sqlite3
import struct
import tarfile
import wave
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.samples import _docx, _odt, _pdf, _xlsx, write_odf


@dataclass(frozen=True)
class Sample:
    """A file to make, and what it is."""

    name: str
    make: Callable[[Path], None]
    puid: str
    basis: str  # "signature", "container", "text" (or "extension" where PRONOM has no signature)


def _pillow(fmt: str, mode: str = "RGB", **options) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        from PIL import Image, ImageDraw

        image = Image.new(mode, (64, 48), "white" if mode in ("RGB", "L") else 1)
        ImageDraw.Draw(image).rectangle([8, 8, 40, 30], outline="black" if mode in ("RGB", "L") else 0)
        image.save(path, fmt, **options)

    return make


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _wav(path: Path) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x10" * 800)


def _aiff(path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import aifc

    with aifc.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x10\x00" * 800)


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("letters/1923-04-04.txt", "Dear Sir, the vestry met today.\n")
        archive.writestr("letters/1923-05-01.txt", "Dear Sir, the clock is mended.\n")


def _tar(path: Path) -> None:
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as archive:
        data = b"Minutes of the vestry\n"
        info = tarfile.TarInfo("minutes.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))


def _gzip(path: Path) -> None:
    path.write_bytes(gzip.compress(b"Burial register transcription\n" * 20))


def _bzip2(path: Path) -> None:
    path.write_bytes(bz2.compress(b"Burial register transcription\n" * 20))


def _xz(path: Path) -> None:
    path.write_bytes(lzma.compress(b"Burial register transcription\n" * 20))


def _sqlite(path: Path) -> None:
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE burials (name TEXT, age INTEGER)")
    connection.execute("INSERT INTO burials VALUES ('Ann Harvey', 74)")
    connection.commit()
    connection.close()


def _pptx(path: Path) -> None:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/ppt/presentation.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="ppt/presentation.xml"/></Relationships>'
    )
    presentation = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("ppt/presentation.xml", presentation)


def _odf(mimetype: str, body: str) -> Callable[[Path], None]:
    return lambda path: write_odf(path, mimetype, body)


def _xls(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Tithes")
    sheet.write(0, 0, "Year")
    sheet.write(0, 1, "Amount")
    sheet.write(1, 0, 1890)
    sheet.write(1, 1, 112)
    book.save(str(path))


def _pillow_pdf(path: Path) -> None:
    _pillow("PDF")(path)


def _midi(path: Path) -> None:
    track = b"\x00\x90\x3c\x40\x60\x80\x3c\x40\x00\xff\x2f\x00"
    path.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(track)) + track)


def _rtf(path: Path) -> None:
    path.write_bytes(rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times New Roman;}}\f0\fs24 Vestry minutes, 1923.\par}")


def _svg(path: Path) -> None:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
        'version="1.1" width="10" height="10"><rect width="5" height="5"/></svg>\n'
    )


def _xml(path: Path) -> None:
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<catalogue><item ref="A/1">Minutes</item></catalogue>\n')


def _postscript(path: Path) -> None:
    path.write_text(
        "%!PS-Adobe-3.0\n%%Title: label\n%%EndComments\n/Times-Roman findfont 12 scalefont setfont\n"
        "72 720 moveto (Vestry) show\nshowpage\n%%EOF\n"
    )


def _html(path: Path) -> None:
    path.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Newsletter</title>'
        "</head><body><p>Harvest supper.</p></body></html>\n"
    )


CORPUS: tuple[Sample, ...] = (
    Sample("image.jpg", _pillow("JPEG"), "fmt/43", "signature"),
    Sample("image.png", _pillow("PNG"), "fmt/11", "signature"),
    Sample("image.gif", _pillow("GIF"), "fmt/3", "signature"),
    Sample("image.tif", _pillow("TIFF"), "fmt/353", "signature"),
    Sample("image.bmp", _pillow("BMP"), "fmt/116", "signature"),
    Sample("image.webp", _pillow("WEBP"), "fmt/566", "signature"),
    Sample("image.ico", _pillow("ICO"), "x-fmt/418", "extension"),
    Sample("image.jp2", _pillow("JPEG2000"), "x-fmt/392", "signature"),
    Sample("image.pcx", _pillow("PCX"), "fmt/90", "signature"),
    Sample("image.ppm", _pillow("PPM"), "fmt/408", "signature"),
    Sample("image.tga", _pillow("TGA"), "fmt/402", "signature"),
    Sample("document.pdf", _pdf, "fmt/17", "signature"),
    Sample("scan.pdf", _pillow_pdf, "fmt/18", "signature"),
    Sample("document.docx", _docx, "fmt/412", "container"),
    Sample("workbook.xlsx", _xlsx, "fmt/214", "container"),
    Sample("slides.pptx", _pptx, "fmt/215", "container"),
    Sample("letter.odt", _odt, "fmt/291", "container"),
    Sample(
        "sheet.ods",
        _odf("application/vnd.oasis.opendocument.spreadsheet", "<office:spreadsheet/>"),
        "fmt/295",
        "container",
    ),
    Sample(
        "talk.odp",
        _odf("application/vnd.oasis.opendocument.presentation", "<office:presentation/>"),
        "fmt/293",
        "container",
    ),
    Sample("accounts.xls", _xls, "fmt/61", "container"),
    Sample("letter.rtf", _rtf, "fmt/45", "signature"),
    Sample("sound.wav", _wav, "fmt/141", "signature"),
    Sample("sound.aiff", _aiff, "fmt/414", "signature"),
    Sample("tune.mid", _midi, "x-fmt/230", "signature"),
    Sample("archive.zip", _zip, "x-fmt/263", "signature"),
    Sample("archive.tar", _tar, "x-fmt/265", "signature"),
    Sample("text.gz", _gzip, "x-fmt/266", "signature"),
    Sample("text.bz2", _bzip2, "x-fmt/268", "signature"),
    Sample("text.xz", _xz, "fmt/1098", "signature"),
    Sample("register.sqlite", _sqlite, "fmt/729", "signature"),
    Sample("page.html", _html, "fmt/471", "signature"),
    Sample("drawing.svg", _svg, "fmt/92", "signature"),
    Sample("catalogue.xml", _xml, "fmt/101", "signature"),
    Sample("label.ps", _postscript, "x-fmt/408", "signature"),
    Sample("burials.csv", _bytes(b"name,age\nAnn Harvey,74\nTom Penrose,3\n"), "x-fmt/18", "text"),
    Sample("register.json", _bytes(b'{"entries": [{"name": "Ann"}]}\n'), "fmt/817", "text"),
    Sample("notes.txt", _bytes(b"Transcription notes\nfolio 12 is water-damaged\n"), "x-fmt/111", "text"),
    Sample("README.md", _bytes(b"# Parish records\n\nSee *the list* below.\n"), "fmt/1149", "text"),
)


def make_corpus(dest: Path) -> dict[Path, Sample]:
    """Write every sample into ``dest``; return path -> sample."""
    dest.mkdir(parents=True, exist_ok=True)
    made = {}
    for sample in CORPUS:
        path = dest / sample.name
        sample.make(path)
        made[path] = sample
    return made
