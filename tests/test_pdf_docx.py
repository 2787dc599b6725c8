"""PDF and Word files: their words, pages and headings, without running headers or footers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pytest
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from footnote import cli
from footnote.ingest.corpus import CorpusFile, read_file

PAGES = [
    ("Installing the pump", [
        ["The pump must be primed with water before the first start, other-",
         "wise the seals run dry and fail within minutes of use."],
        ["Mount it on a level floor, away from frost."],
    ]),
    ("Cleaning", [
        ["Rinse the filter every month with clean water and let it dry in the",
         "shade for a day."],
    ]),
    ("Warranty", [["The warranty covers parts and labour for two years from the date of",
                   "purchase."]]),
]  # fmt: skip
HEADER = "ACME Pump Manual - Service Edition"


def manual_pdf(password: str | None = None) -> bytes:
    """A three-page PDF with a running header, page-number footers and a hyphenated word."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, encrypt=password)
    pdf.setTitle("ACME Pump Manual")
    for number, (heading, paragraphs) in enumerate(PAGES, start=1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, 800, HEADER)
        y = 760
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawString(72, y, heading)
        y -= 30
        pdf.setFont("Helvetica", 11)
        for lines in paragraphs:
            for line in lines:
                pdf.drawString(72, y, line)
                y -= 16
            y -= 14  # the gap between paragraphs
        pdf.setFont("Helvetica", 9)
        pdf.drawString(280, 40, f"Page {number} of {len(PAGES)}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def report_docx() -> bytes:
    """A Word document with a title, headings, a bulleted list and a table."""
    document = docx.Document()
    document.add_paragraph("Quarterly Report", style="Title")
    document.add_paragraph("Sales", style="Heading 1")
    document.add_paragraph("Sales grew by nine percent in the spring quarter.")
    document.add_paragraph("Two new shops opened", style="List Bullet")
    document.add_paragraph("The web shop doubled its orders", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("Region", "Revenue"), ("North", "4.2 million"),
                                       ("South", "3.1 million")], strict=True):  # fmt: skip
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("Staff", style="Heading 2")
    document.add_paragraph("The team hired twelve engineers.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def read(path: Path, data: bytes) -> list:
    """The documents (or skipped entries) read from one file written with these bytes."""
    path.write_bytes(data)
    result = read_file(CorpusFile(path, path.name, len(data), 0))
    return result.documents or result.skipped


def test_a_pdf_reads_as_paragraphs_with_their_pages(tmp_path: Path) -> None:
    """Headings, paragraphs (a hyphenated word joined) and pages; no header, no page number."""
    (document,) = read(tmp_path / "manual.pdf", manual_pdf())
    assert document.title == "ACME Pump Manual"
    assert [(b.kind, b.text, b.page) for b in document.blocks] == [
        ("heading", "Installing the pump", 1),
        ("paragraph", "The pump must be primed with water before the first start, otherwise "
         "the seals run dry and fail within minutes of use.", 1),
        ("paragraph", "Mount it on a level floor, away from frost.", 1),
        ("heading", "Cleaning", 2),
        ("paragraph", "Rinse the filter every month with clean water and let it dry in the "
         "shade for a day.", 2),
        ("heading", "Warranty", 3),
        ("paragraph", "The warranty covers parts and labour for two years from the date of "
         "purchase.", 3),
    ]  # fmt: skip
    assert "ACME" not in document.text and "Page" not in document.text


def test_an_encrypted_pdf_is_skipped_with_its_reason(tmp_path: Path) -> None:
    """A password-protected PDF is named as skipped, saying it is encrypted."""
    (skipped,) = read(tmp_path / "secret.pdf", manual_pdf(password="hunter2"))
    assert skipped.path == "secret.pdf" and "encrypted PDF" in skipped.reason


def test_a_broken_pdf_is_skipped_not_raised(tmp_path: Path) -> None:
    """Bytes that only start like a PDF are a skipped file with a reason."""
    (skipped,) = read(tmp_path / "broken.pdf", b"%PDF-1.4\nnot really a pdf")
    assert skipped.path == "broken.pdf" and skipped.reason


def test_a_word_document_keeps_headings_lists_and_tables(tmp_path: Path) -> None:
    """Styles give headings; a bulleted list keeps its items; a row reads as a sentence."""
    (document,) = read(tmp_path / "report.docx", report_docx())
    assert document.title == "Quarterly Report"
    assert [(b.kind, b.text, b.level) for b in document.blocks] == [
        ("heading", "Quarterly Report", 1),
        ("heading", "Sales", 1),
        ("paragraph", "Sales grew by nine percent in the spring quarter.", 0),
        ("paragraph", "- Two new shops opened\n- The web shop doubled its orders", 0),
        ("paragraph", "Region | Revenue\nNorth: 4.2 million\nSouth: 3.1 million", 0),
        ("heading", "Staff", 2),
        ("paragraph", "The team hired twelve engineers.", 0),
    ]


def test_ask_cites_the_page_of_a_pdf_and_the_section_of_a_word_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`footnote ask` finds a PDF's passage and cites its page; a .docx answers under its
    heading."""
    corpus = tmp_path / "papers"
    corpus.mkdir()
    (corpus / "manual.pdf").write_bytes(manual_pdf())
    (corpus / "report.docx").write_bytes(report_docx())
    where = ("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert (
        cli.main(
            ["ask", "--color", "never", "-k", "1", *where, "what should I rinse the filter with?"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "the *filter* every month" in out and "Cleaning · p. 2, ¶" in out
    assert cli.main(["ask", "--json", *where, "how many engineers did the team hire?"]) == 0
    best = json.loads(capsys.readouterr().out)["passages"][0]
    assert best["section"] == "Staff" and best["document"]["id"] == "report"


def test_a_pdf_locked_only_against_editing_opens(tmp_path: Path) -> None:
    """A PDF encrypted with an empty user password (an owner password only) is read."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("", ownerPassword="owner"))
    pdf.drawString(72, 760, "The pressure valve opens at three bar.")
    pdf.save()
    (document,) = read(tmp_path / "locked.pdf", out.getvalue())
    assert "opens at three bar" in document.text


def test_a_pdf_without_text_says_it_needs_ocr(tmp_path: Path) -> None:
    """A scanned PDF (pages, no text layer) is skipped, saying why."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.rect(72, 72, 200, 200)
    pdf.showPage()
    pdf.save()
    (skipped,) = read(tmp_path / "scan.pdf", out.getvalue())
    assert "no text layer" in skipped.reason


def test_a_heading_on_a_page_without_gaps_stands_above_its_text(tmp_path: Path) -> None:
    """With lines set tight (no blank line in the text), a title line is still a heading."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    lines = ["Maintenance", "Oil the hinge once a year with light oil.", "Wipe off the rest."]
    for y, line in zip((760, 746, 732), lines, strict=True):
        pdf.drawString(72, y, line)
    pdf.save()
    (document,) = read(tmp_path / "tight.pdf", out.getvalue())
    first = document.blocks[0]
    assert (first.kind, first.text) == ("heading", "Maintenance")
