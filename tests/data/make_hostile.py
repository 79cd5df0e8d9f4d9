"""Writes the hostile-file corpus in tests/data/hostile/ (run once; the files are committed).

Every file here must be refused by the upload gate (PDF, JPEG, PNG by content)
with a reason, within 5 s and 200 MB; the spreadsheets among them must also be
refused by the Excel importer. Nothing here is large on disk: the bombs are
small files that claim or unpack to huge sizes.
"""

from __future__ import annotations

import ast
import io
import struct
import zipfile
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent / "hostile"

XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def xlsx(sheet_xml: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buffer.getvalue()


def sheet(rows: str, *, dimension: str = "A1") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def zip_bomb_xlsx() -> bytes:
    """A small .xlsx whose sheet unpacks to about 300 MB of zeros-and-tags."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in [
            ("[Content_Types].xml", XLSX_CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WB_RELS),
        ]:
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            chunk = b"<row>" + b" " * (1024 * 1024 - 11) + b"</row>"
            for _ in range(300):
                f.write(chunk)
            f.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def many_entries_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for i in range(20000):
            z.writestr(f"x/{i}.xml", b"")
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_decompression_bomb() -> bytes:
    """A valid-looking PNG header declaring 100,000 × 100,000 pixels."""
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024 * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


ENTITY_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
    '<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
    '<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>'
)


def corpus() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    # Executables and scripts under document names.
    files["invoice.pdf.exe"] = (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
        + b"\x00" * 64
        + b"This program cannot be run in DOS mode."
    )
    files["营业执照.pdf"] = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00"
    files["report.pdf"] = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
    files["scan.jpg"] = b"#!/bin/sh\nrm -rf / --no-preserve-root\n"
    files["statement.png"] = b"@echo off\r\ndel /f /s /q C:\\*\r\n"
    files["macro.xlsm.pdf"] = b"PK\x03\x04" + b"\x00" * 26 + b"xl/vbaProject.bin"
    files["applet.pdf"] = b"\xca\xfe\xba\xbe\x00\x00\x00\x34"
    files["script.pdf"] = b"<?php system($_GET['c']); ?>"
    files["shell.jpeg"] = b'<% Runtime.getRuntime().exec(request.getParameter("c")); %>'
    files["library.png"] = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100
    # HTML and SVG with script.
    files["page.pdf"] = b"<html><body><script>alert(document.cookie)</script></body></html>"
    files["page.html"] = b"<!doctype html><script src=//evil.example/x.js></script>"
    files["logo.svg"] = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    files["logo.png"] = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    files["photo.jpg"] = (
        b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'><foreignObject><iframe src='javascript:alert(1)'/></foreignObject></svg>"
    )
    files["xss.pdf"] = b"\xef\xbb\xbf<html><img src=x onerror=alert(1)></html>"
    files["hta.pdf"] = (
        b"<HTA:APPLICATION ID='x'><script language='VBScript'>CreateObject(\"WScript.Shell\")</script>"
    )
    files["mhtml.pdf"] = (
        b"MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n\r\n<script>alert(1)</script>"
    )
    # Broken or fake images and PDFs.
    files["truncated.png"] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    files["garbage.png"] = b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50
    files["bomb.png"] = png_decompression_bomb()
    files["fake.jpg"] = b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10
    files["empty.pdf"] = b""
    files["one-byte.pdf"] = b"%"
    files["pdf-in-text.pdf"] = b"Hello, this is text that mentions %PDF-1.7 later on."
    files["utf16.pdf"] = "%PDF-1.7".encode("utf-16")
    files["gif.png"] = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
    )
    files["bmp.jpg"] = b"BM" + b"\x00" * 60
    files["tiff.png"] = b"II*\x00" + b"\x00" * 60
    files["webp.jpg"] = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 40
    files["rtf.pdf"] = b"{\\rtf1\\ansi {\\object\\objemb {\\*\\objdata 0105000002000000}}}"
    files["doc.pdf"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    files["zip.pdf"] = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
    files["gzip.pdf"] = b"\x1f\x8b\x08\x00" + b"\x00" * 40
    files["rar.jpg"] = b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40
    files["7z.png"] = b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40
    # Hostile names (content is plain text, so refused by content; the names test storage).
    files["..%2f..%2fetc%2fpasswd.pdf"] = b"not a pdf"
    files["con.pdf"] = b"not a pdf either"
    files["name with\nnewline.pdf"] = b"text"
    files["a" * 200 + ".pdf"] = b"text"
    files["<script>alert(1)<script>.png"] = b"text"
    files[".htaccess"] = b"AddType application/x-httpd-php .pdf"
    files["null\x00byte.pdf"] = b"text"
    # Spreadsheets: bombs, formulas, odd shapes.
    files["zip-bomb.xlsx"] = zip_bomb_xlsx()
    files["many-entries.xlsx"] = many_entries_zip()
    files["entity-bomb.xlsx"] = xlsx(
        ENTITY_BOMB + sheet("<row r='1'><c r='A1' t='inlineStr'><is><t>&lol9;</t></is></c></row>")
    )
    files["external-entity.xlsx"] = xlsx(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + sheet("<row r='1'><c r='A1' t='inlineStr'><is><t>&xxe;</t></is></c></row>")
    )
    files["16384-columns.xlsx"] = xlsx(
        sheet(
            "<row r='1'><c r='XFD1' t='inlineStr'><is><t>x</t></is></c></row>",
            dimension="A1:XFD1048576",
        )
    )
    files["formula-no-cache.xlsx"] = xlsx(sheet("<row r='1'><c r='A1'><f>SUM(1,2)</f></c></row>"))
    files["dde.csv"] = b"=cmd|' /C calc'!A0,+1+1,@SUM(1)\r\n"
    files["not-a-zip.xlsx"] = b"this is not a workbook"
    files["html-as.xlsx"] = b'<table><tr><td>=HYPERLINK("http://evil")</td></tr></table>'
    files["truncated.xlsx"] = xlsx(sheet(""))[:200]
    files["binary.csv"] = bytes(range(256)) * 4
    # More spreadsheets and CSVs for the importer (every one refused with a reason by loans.importer).
    files["sharedstrings-entity.xlsx"] = xlsx(
        sheet("<row r='1'><c r='A1' t='s'><v>0</v></c></row>"),
        extra={
            "xl/sharedStrings.xml": (
                ENTITY_BOMB
                + "<sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>"
                "<si><t>&lol9;</t></si></sst>"
            ).encode()
        },
    )
    files["16384-columns.csv"] = (
        ",".join(f"c{i}" for i in range(16384))
        + "\r\n"
        + ",".join("1" for _ in range(16384))
        + "\r\n"
    ).encode()
    files["100001-rows.csv"] = "贷款合同编号\r\n".encode() + b"1\r\n" * 100_001
    files["utf16.csv"] = "贷款合同编号,银行代码\r\nA,B\r\n".encode("utf-16")
    files["not-gbk.csv"] = b"\x80\x80\xff\xfe\x81"
    files["bom-only.csv"] = b"\xef\xbb\xbf"
    files["unterminated-quote.csv"] = b'"\xe8\xb4\xb7\xe6\xac\xbe,' + b"x" * 5000
    files["pdf-as.csv"] = b" %PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>\x00\x00endobj"
    files["exe-as.csv"] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
    files["old-xls.xlsx"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    files["ods-as.xlsx"] = ods()
    files["header-only.xlsx"] = xlsx(
        sheet("<row r='1'><c r='A1' t='inlineStr'><is><t>贷款合同编号</t></is></c></row>")
    )
    files["macro.xlsx"] = xlsx(
        sheet("<row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c></row>"),
        extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 100},
    )
    files["zip-slip.xlsx"] = xlsx(
        sheet("<row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c></row>"),
        extra={"../../../../tmp/evil.sh": b"#!/bin/sh\necho pwned\n"},
    )
    files["deep-nesting.xlsx"] = xlsx(
        sheet("<row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c></row>").replace(
            "<sheetData>",
            "<extLst>" + "<ext>" * 50_000 + "</ext>" * 50_000 + "</extLst><sheetData>",
        )
    )
    files["merged-cells.xlsx"] = xlsx(
        sheet("<row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c></row>").replace(
            "</worksheet>",
            "<mergeCells count='1'><mergeCell ref='A1:G1'/></mergeCells></worksheet>",
        )
    )
    files["formula-injection.csv"] = (
        "贷款合同编号,银行代码,结息日期,计息起始日,计息截止日,利息金额（元）,是否逾期利息\r\n"
        "=cmd|' /C calc'!A0,@SUM(1),+1,-1,=HYPERLINK(\"http://evil\"),=1+1,否\r\n"
    ).encode()
    # Hostile names on table-shaped files (for the importer path; the upload gate refuses them by content).
    files["../../../etc/cron.d/x.csv"] = b"\x00binary"
    files["..\\..\\windows\\system32\\drivers.xlsx"] = b"not a workbook"
    files["statement\x00.exe.csv"] = b"MZ\x00\x00"
    files["b" * 300 + ".xlsx"] = b"not a workbook"
    files["invoice\u202excod.exe.csv"] = b"MZ\x90\x00\x00"
    files["report\u202efdp.exe"] = b"MZ\x90\x00\x00"
    files["\u200f\u2066rtl-isolate.xlsx"] = b"PK\x03\x04broken"
    files["CON.csv"] = b"\x00"
    # Content that reads as a table but must never reach the database as it is (issue 16 item 12).
    interest_header = (
        "贷款合同编号,银行代码,结息日期,计息起始日,计息截止日,利息金额（元）,是否逾期利息\r\n"
    )
    files["huge-amounts.csv"] = (
        interest_header
        + "HT-1,bank-x,2026-03-21,2026-01-05,2026-03-20,1e30,否\r\n"
        + "HT-1,bank-x,2026-06-21,2026-03-21,2026-06-20,100000000000000000,否\r\n"
        + "HT-1,bank-x,2026-09-21,2026-06-21,2026-09-20,NaN,否\r\n"
        + "HT-1,bank-x,2026-12-21,2026-09-21,2026-12-20,-Infinity,否\r\n"
    ).encode()
    files["huge-amounts.xlsx"] = xlsx(
        sheet(
            "<row r='1'>"
            + "".join(
                f"<c r='{c}1' t='inlineStr'><is><t>{h}</t></is></c>"
                for c, h in zip("ABCDEFG", interest_header.strip().split(","), strict=True)
            )
            + "</row><row r='2'><c r='A2' t='inlineStr'><is><t>HT-1</t></is></c>"
            "<c r='B2' t='inlineStr'><is><t>bank-x</t></is></c>"
            "<c r='C2' t='inlineStr'><is><t>2026-03-21</t></is></c>"
            "<c r='D2' t='inlineStr'><is><t>2026-01-05</t></is></c>"
            "<c r='E2' t='inlineStr'><is><t>2026-03-20</t></is></c>"
            "<c r='F2'><v>1E+30</v></c><c r='G2' t='inlineStr'><is><t>否</t></is></c></row>",
            dimension="A1:G2",
        )
    )
    row = "HT-1,bank-x,2026-03-21,2026-01-05,2026-03-20,100.00,否\r\n"
    files["nul-after-64k.csv"] = (
        interest_header + row * (70_000 // len(row.encode())) + "HT-\x001,bank-x,2026-03-21,"
    ).encode() + "2026-01-05,2026-03-20,100.00,否\r\n".encode()
    files["nul-in-cell.xlsx"] = xlsx(
        sheet(
            "<row r='1'><c r='A1' t='inlineStr'><is><t>贷款合同编号</t></is></c></row>"
            "<row r='2'><c r='A2' t='inlineStr'><is><t>HT-&#0;1</t></is></c></row>",
            dimension="A1:A2",
        )
    )
    return files


def ods() -> bytes:
    """An OpenDocument spreadsheet: a zip, but no Excel workbook inside."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def main() -> None:
    """Write new files: names already in INDEX.tsv keep their stored file, new names are appended."""
    OUT.mkdir(exist_ok=True)
    index_path = OUT / "INDEX.tsv"
    known: dict[str, str] = {}
    if index_path.exists():
        for line in index_path.read_text(encoding="utf-8").splitlines():
            stored, name = line.split("\t", 1)
            known[ast.literal_eval(name)] = stored
    files = corpus()
    entries = [(known[name], name) for name in files if name in known]
    entries.sort()
    number = max((int(stored[:3]) for stored, _ in entries), default=0)
    for name in sorted(n for n in files if n not in known):
        number += 1
        entries.append((f"{number:03d}.bin", name))
    for stored, name in entries:
        # The stored file name is safe; the hostile name the test uploads under is in the index.
        # Files already written stay as they are (zip entries carry the time they were made).
        if not (OUT / stored).exists():
            (OUT / stored).write_bytes(files[name])
    index_path.write_text(
        "\n".join(f"{stored}\t{name!r}" for stored, name in entries) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
