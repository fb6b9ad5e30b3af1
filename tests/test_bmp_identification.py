"""Windows and OS/2 bitmaps of every header version are identified by their bytes, never by their name.

Each file is a 2×2 image written byte by byte as Microsoft's documentation lays it out (file header,
then BITMAPCOREHEADER, BITMAPINFOHEADER, the V2/V3 headers Adobe added, BITMAPV4HEADER,
BITMAPV5HEADER, or IBM's OS/2 2.x BITMAPINFOHEADER2), with the image size field filled in as Windows
fills it. Pillow must read each one, so the test files are real bitmaps; then they are named
``.dat``, ``.jpg`` or nothing, so an extension cannot help.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from formats.engine import Matcher
from formats.identify import Identifier, load_signatures
from formats.signatures import LOCAL_PREFIX, LOCAL_SIGNATURES, from_droid, with_local_signatures

RED, WHITE = (255, 0, 0), (255, 255, 255)
PIXELS = [[RED, WHITE], [WHITE, RED]]  # top row first


@dataclass(frozen=True)
class Case:
    """One header version: its size, bit depth, compression, and what PRONOM calls it."""

    name: str
    header: int
    bits: int
    compression: int
    puid: str


CASES = [
    Case("core-12-24bit", 12, 24, 0, "fmt/115"),  # Windows 2.x / OS/2 1.x BITMAPCOREHEADER
    Case("core-12-8bit", 12, 8, 0, "fmt/115"),
    Case("info-40-24bit", 40, 24, 0, "fmt/116"),  # Windows 3.x BITMAPINFOHEADER
    Case("info-40-8bit", 40, 8, 0, "fmt/116"),
    Case("info-40-16bit-bitfields", 40, 16, 3, "fmt/117"),  # Windows NT 3.x: masks after the header
    Case("info-40-32bit-bitfields", 40, 32, 3, "fmt/117"),
    Case("v2-52-24bit", 52, 24, 0, "fmt/116"),  # Adobe BITMAPV2INFOHEADER: no PRONOM signature
    Case("v2-52-16bit-bitfields", 52, 16, 3, "fmt/117"),
    Case("v3-56-32bit-bitfields", 56, 32, 3, "fmt/117"),  # Adobe BITMAPV3INFOHEADER (alpha mask)
    Case("v3-56-24bit", 56, 24, 0, "fmt/116"),
    Case("os2-64-24bit", 64, 24, 0, "x-fmt/270"),  # OS/2 2.x BITMAPINFOHEADER2
    Case("v4-108-24bit", 108, 24, 0, "fmt/118"),  # Windows 95 / NT 4 BITMAPV4HEADER
    Case("v4-108-32bit-bitfields", 108, 32, 3, "fmt/118"),
    Case("v5-124-24bit", 124, 24, 0, "fmt/119"),  # Windows 98 / 2000 BITMAPV5HEADER
    Case("v5-124-32bit-bitfields", 124, 32, 3, "fmt/119"),
]

MASKS = {16: (0xF800, 0x07E0, 0x001F, 0), 32: (0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000)}
PALETTE = [RED, WHITE]


def _pixel(colour: tuple[int, int, int], bits: int) -> bytes:
    red, green, blue = colour
    if bits == 24:
        return bytes((blue, green, red))
    if bits == 32:
        return struct.pack("<I", 0xFF000000 | red << 16 | green << 8 | blue)
    if bits == 16:  # RGB 5-6-5
        return struct.pack("<H", (red >> 3) << 11 | (green >> 2) << 5 | blue >> 3)
    return bytes((PALETTE.index(colour),))  # 8 bits: an index into the palette


def _pixel_rows(bits: int) -> bytes:
    """Bottom-up rows, each padded to a multiple of four bytes."""
    rows = b""
    for row in reversed(PIXELS):
        data = b"".join(_pixel(colour, bits) for colour in row)
        rows += data + b"\0" * (-len(data) % 4)
    return rows


def _info_header(case: Case, image_size: int, colours: int) -> bytes:
    """BITMAPINFOHEADER and its successors (V2, V3, V4, V5) or OS/2's BITMAPINFOHEADER2, ``case.header`` bytes."""
    head = struct.pack(
        "<IiiHHIIiiII", case.header, 2, 2, 1, case.bits, case.compression, image_size, 2835, 2835, colours, 0
    )
    masks = MASKS.get(case.bits, (0, 0, 0, 0)) if case.compression == 3 else (0, 0, 0, 0)
    if case.header == 64:  # OS/2 2.x: units, reserved, recording, rendering, size1, size2, encoding, identifier
        return head + struct.pack("<HHHHIIII", 0, 0, 0, 0, 0, 0, 0, 0)
    if case.header in (52, 56):
        return head + struct.pack("<III", *masks[:3]) + (struct.pack("<I", masks[3]) if case.header == 56 else b"")
    if case.header >= 108:  # masks, colour space "sRGB", endpoints (36 bytes), three gammas
        head += struct.pack("<IIII", *masks) + b"BGRs" + b"\0" * 36 + struct.pack("<III", 0, 0, 0)
        if case.header == 124:  # intent (LCS_GM_IMAGES), profile data, profile size, reserved
            head += struct.pack("<IIII", 4, 0, 0, 0)
    return head


def make_bitmap(case: Case) -> bytes:
    """The bytes of a 2×2 bitmap with this header version."""
    pixels = _pixel_rows(case.bits)
    if case.header == 12:
        palette = b"".join(bytes((b, g, r)) for r, g, b in PALETTE) if case.bits == 8 else b""  # RGBTRIPLEs
        header = struct.pack("<IHHHH", 12, 2, 2, 1, case.bits)
    else:
        palette = b"".join(bytes((b, g, r, 0)) for r, g, b in PALETTE) if case.bits == 8 else b""  # RGBQUADs
        header = _info_header(case, len(pixels), len(PALETTE) if case.bits == 8 else 0)
        if case.header == 40 and case.compression == 3:  # Windows NT 3.x: three masks after the header
            palette = struct.pack("<III", *MASKS[case.bits][:3])
    assert len(header) == case.header
    offset = 14 + len(header) + len(palette)
    return struct.pack("<2sIHHI", b"BM", offset + len(pixels), 0, 0, offset) + header + palette + pixels


@pytest.fixture(scope="module")
def bitmaps(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bitmaps")
    paths = {}
    for index, case in enumerate(CASES):
        name = case.name + ("", ".dat", ".jpg")[index % 3]  # never .bmp: the bytes must decide
        paths[case.name] = folder / name
        paths[case.name].write_bytes(make_bitmap(case))
    return paths


@pytest.fixture(scope="module")
def identifier() -> Identifier:
    return Identifier()


@pytest.fixture(scope="module")
def droid_identifier() -> Identifier:
    return Identifier(from_droid(DROID_BITMAPS))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_pillow_reads_each_test_file_as_drawn(bitmaps, case):
    with Image.open(bitmaps[case.name]) as image:
        image.load()
        assert image.size == (2, 2)
        rgb = image.convert("RGB")
        assert [rgb.getpixel((0, 0)), rgb.getpixel((1, 0)), rgb.getpixel((0, 1))] == [RED, WHITE, WHITE]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_header_version_is_identified_by_signature(identifier, bitmaps, case):
    result = identifier.identify(bitmaps[case.name])
    assert (result.puid, result.basis) == (case.puid, "signature"), result
    assert "candidates" not in result.warning


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_same_with_current_pronom_signatures(droid_identifier, bitmaps, case):
    result = droid_identifier.identify(bitmaps[case.name])
    assert (result.puid, result.basis) == (case.puid, "signature"), result
    assert "candidates" not in result.warning  # PRONOM's and the local signature both match: listed once


def test_pillow_bmp_is_bitmap_3(identifier, tmp_path):
    path = tmp_path / "pillow"
    Image.new("RGB", (3, 5), "olive").save(path, "BMP")
    assert path.read_bytes()[14] == 40
    assert (identifier.identify(path).puid, identifier.identify(path).basis) == ("fmt/116", "signature")


# --- the local signatures match exactly the bytes they describe --------------------------------------


def test_every_local_signature_is_documented_and_tested():
    assert {s.name for s in LOCAL_SIGNATURES} == set(LOCAL_CASES)
    assert all(s.reason for s in LOCAL_SIGNATURES)


LOCAL_CASES = {
    "BITMAPV2INFOHEADER (52 bytes)": ("v2-52-24bit",),
    "BITMAPV2INFOHEADER (52 bytes) with bit fields": ("v2-52-16bit-bitfields",),
    "BITMAPV3INFOHEADER (56 bytes)": ("v3-56-24bit",),
    "BITMAPV3INFOHEADER (56 bytes) with bit fields": ("v3-56-32bit-bitfields",),
    "BITMAPV4HEADER (108 bytes)": ("v4-108-24bit", "v4-108-32bit-bitfields"),
    "BITMAPV5HEADER (124 bytes)": ("v5-124-24bit", "v5-124-32bit-bitfields"),
}


@pytest.mark.parametrize("name", sorted(LOCAL_CASES))
def test_a_local_signature_matches_its_header_and_no_other(name):
    import re

    [local] = [s for s in LOCAL_SIGNATURES if s.name == name]
    regex = re.compile(local.signature().patterns[0].regex)
    for case in CASES:
        data = make_bitmap(case)
        assert bool(regex.match(data)) == (case.name in LOCAL_CASES[name]), (name, case.name)


@pytest.mark.parametrize("name", sorted(LOCAL_CASES))
def test_a_local_signature_needs_every_byte_it_names(name):
    """Damaging the magic number, the header size, the planes or the compression loses the match."""
    import re

    [local] = [s for s in LOCAL_SIGNATURES if s.name == name]
    regex = re.compile(local.signature().patterns[0].regex)
    data = bytearray(make_bitmap(next(c for c in CASES if c.name == LOCAL_CASES[name][0])))
    assert regex.match(bytes(data))
    for offset, value in ((0, ord("X")), (1, ord("X")), (14, data[14] + 4), (26, 2), (28, 7), (30, 9)):
        damaged = bytearray(data)
        damaged[offset] = value
        assert not regex.match(bytes(damaged)), (name, offset)


def test_local_signatures_are_added_once_and_leave_the_set_version_alone(identifier):
    assert with_local_signatures(identifier.signatures) is identifier.signatures
    assert identifier.signature_version.startswith("FIDO PRONOM v")  # the tool version names them
    local = [s for f in identifier.signatures.formats for s in f.signatures if s.name.startswith(LOCAL_PREFIX)]
    assert len(local) == len(LOCAL_SIGNATURES)


@pytest.mark.parametrize("signatures", ["fido", "droid"])
def test_without_the_local_signatures_these_headers_are_not_identified(bitmaps, signatures):
    """What the local signatures are for: PRONOM (and FIDO's copy of it) alone misses these files."""
    bare = Matcher(load_signatures() if signatures == "fido" else from_droid(DROID_BITMAPS))
    missed = {name for name, path in bitmaps.items() if bare.identify_file(str(path)).basis != "signature"}
    expected = {c.name for c in CASES if c.header in (52, 56)}
    if signatures == "fido":
        expected |= {c.name for c in CASES if c.header in (108, 124)}
    assert missed == expected


def test_random_bytes_after_bm_are_not_a_bitmap(identifier, tmp_path):
    path = tmp_path / "bm-text"
    path.write_bytes(b"BM is how this note starts, and it is not a bitmap at all.\n" * 3)
    assert identifier.identify(path).puid not in {c.puid for c in CASES}


# The Windows and OS/2 bitmap records of DROID signature file V118 (The National Archives, Open
# Government Licence), copied here so the test never reads outside the repository.
_DROID_XML = """<?xml version="1.0" encoding="UTF-8"?>
<FFSignatureFile DateCreated="2024-04-29T13:46:04" Version="118"
 xmlns="http://www.nationalarchives.gov.uk/pronom/SignatureFile">
<InternalSignatureCollection>
<InternalSignature ID="117" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="6" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>00000000</Sequence>
<DefaultShift>5</DefaultShift>
<Shift Byte="00">1</Shift>
<LeftFragment MaxOffset="4" MinOffset="4" Position="1">424D</LeftFragment>
<RightFragment MaxOffset="4" MinOffset="4" Position="1">0C000000</RightFragment>
<RightFragment MaxOffset="4" MinOffset="4" Position="2">0100</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">01</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">04</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">08</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">18</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="4">00</RightFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
<InternalSignature ID="118" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="14" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>28000000</Sequence>
<DefaultShift>5</DefaultShift>
<Shift Byte="00">1</Shift>
<Shift Byte="28">4</Shift>
<LeftFragment MaxOffset="12" MinOffset="12" Position="1">424D</LeftFragment>
<RightFragment MaxOffset="8" MinOffset="8" Position="1">0100</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="2">01</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="2">04</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="2">08</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="2">10</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="2">18</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="2">20</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">00</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="4">00</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="4">01</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="4">02</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">000000</RightFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
<InternalSignature ID="119" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="29" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>0003000000</Sequence>
<DefaultShift>6</DefaultShift>
<Shift Byte="00">1</Shift>
<Shift Byte="03">4</Shift>
<LeftFragment MaxOffset="0" MinOffset="0" Position="1">10</LeftFragment>
<LeftFragment MaxOffset="0" MinOffset="0" Position="1">20</LeftFragment>
<LeftFragment MaxOffset="0" MinOffset="0" Position="2">0100</LeftFragment>
<LeftFragment MaxOffset="8" MinOffset="8" Position="3">28000000</LeftFragment>
<LeftFragment MaxOffset="4" MinOffset="4" Position="4">00000000</LeftFragment>
<LeftFragment MaxOffset="4" MinOffset="4" Position="5">424D</LeftFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
<InternalSignature ID="120" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="6" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>00000000</Sequence>
<DefaultShift>5</DefaultShift>
<Shift Byte="00">1</Shift>
<LeftFragment MaxOffset="4" MinOffset="4" Position="1">424D</LeftFragment>
<RightFragment MaxOffset="4" MinOffset="4" Position="1">6C000000</RightFragment>
<RightFragment MaxOffset="8" MinOffset="8" Position="2">0100</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">01</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">04</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">08</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">10</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">18</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">20</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="4">00</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">00</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">01</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">02</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">03</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="6">000000</RightFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
<InternalSignature ID="121" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="6" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>00000000</Sequence>
<DefaultShift>5</DefaultShift>
<Shift Byte="00">1</Shift>
<LeftFragment MaxOffset="4" MinOffset="4" Position="1">424D</LeftFragment>
<RightFragment MaxOffset="4" MinOffset="4" Position="1">7C000000</RightFragment>
<RightFragment MaxOffset="8" MinOffset="8" Position="2">0100</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">01</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">04</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">08</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">10</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">18</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="3">20</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="4">00</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">00</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">01</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">02</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">03</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">04</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="5">05</RightFragment>
<RightFragment MaxOffset="0" MinOffset="0" Position="6">000000</RightFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
<InternalSignature ID="505" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="15" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>000000</Sequence>
<DefaultShift>4</DefaultShift>
<Shift Byte="00">1</Shift>
<LeftFragment MaxOffset="0" MinOffset="0" Position="1">10</LeftFragment>
<LeftFragment MaxOffset="0" MinOffset="0" Position="1">30</LeftFragment>
<LeftFragment MaxOffset="0" MinOffset="0" Position="1">40</LeftFragment>
<LeftFragment MaxOffset="12" MinOffset="12" Position="2">424D</LeftFragment>
<RightFragment MaxOffset="8" MinOffset="8" Position="1">0100</RightFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
<InternalSignature ID="506" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="26" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>0100180004000000</Sequence>
<DefaultShift>9</DefaultShift>
<Shift Byte="00">1</Shift>
<Shift Byte="01">8</Shift>
<Shift Byte="04">4</Shift>
<Shift Byte="18">6</Shift>
<LeftFragment MaxOffset="8" MinOffset="8" Position="1">28000000</LeftFragment>
<LeftFragment MaxOffset="12" MinOffset="12" Position="2">424D</LeftFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
<InternalSignature ID="507" Specificity="Specific">
<ByteSequence Reference="BOFoffset">
<SubSequence MinFragLength="26" Position="1"
SubSeqMaxOffset="0" SubSeqMinOffset="0">
<Sequence>0100010003000000</Sequence>
<DefaultShift>9</DefaultShift>
<Shift Byte="00">1</Shift>
<Shift Byte="01">6</Shift>
<Shift Byte="03">4</Shift>
<LeftFragment MaxOffset="8" MinOffset="8" Position="1">28000000</LeftFragment>
<LeftFragment MaxOffset="12" MinOffset="12" Position="2">424D</LeftFragment>
</SubSequence>
</ByteSequence>
</InternalSignature>
</InternalSignatureCollection>
<FileFormatCollection>
<FileFormat ID="402" MIMEType="image/bmp" Name="OS/2 Bitmap"
PUID="x-fmt/270" Version="2.0">
<InternalSignatureID>505</InternalSignatureID>
<InternalSignatureID>506</InternalSignatureID>
<InternalSignatureID>507</InternalSignatureID>
<Extension>bmp</Extension>
</FileFormat>
<FileFormat ID="728" MIMEType="image/bmp" Name="Windows Bitmap"
PUID="fmt/115" Version="2.0">
<InternalSignatureID>117</InternalSignatureID>
<Extension>bmp</Extension>
<Extension>dib</Extension>
</FileFormat>
<FileFormat ID="729" MIMEType="image/bmp" Name="Windows Bitmap"
PUID="fmt/116" Version="3.0">
<InternalSignatureID>118</InternalSignatureID>
<Extension>bmp</Extension>
<Extension>dib</Extension>
</FileFormat>
<FileFormat ID="730" MIMEType="image/bmp" Name="Windows Bitmap"
PUID="fmt/117" Version="3.0 NT">
<InternalSignatureID>119</InternalSignatureID>
<Extension>bmp</Extension>
<Extension>dib</Extension>
</FileFormat>
<FileFormat ID="731" MIMEType="image/bmp" Name="Windows Bitmap"
PUID="fmt/118" Version="4.0">
<InternalSignatureID>120</InternalSignatureID>
<Extension>bmp</Extension>
<Extension>dib</Extension>
</FileFormat>
<FileFormat ID="732" MIMEType="image/bmp" Name="Windows Bitmap"
PUID="fmt/119" Version="5.0">
<InternalSignatureID>121</InternalSignatureID>
<Extension>bmp</Extension>
<Extension>dib</Extension>
</FileFormat>
</FileFormatCollection>
</FFSignatureFile>
"""


@pytest.fixture(scope="module", autouse=True)
def _droid_file(tmp_path_factory):
    global DROID_BITMAPS
    DROID_BITMAPS = tmp_path_factory.mktemp("droid") / "DROID_SignatureFile_V118-bitmaps.xml"
    DROID_BITMAPS.write_text(_DROID_XML, encoding="utf-8")


DROID_BITMAPS = Path()
