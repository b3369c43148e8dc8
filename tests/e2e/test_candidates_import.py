from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.worker]

CSV = (
    "Courriel;Prénom du candidat;Nom;Compétences\n"
    "ada.lovelace@example.com;Ada;Lovelace;Python, Maths\n"
    "grace@example.com;Grace;Hopper;COBOL\n"
    "not-an-email;Broken;Row;\n"
).encode("cp1252")


def test_import_a_csv_with_mapping_and_watch_it_finish(site, page, celery_worker):
    site.login(page, site.world.recruiter)
    page.goto(site.url("/candidates/"))
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_label("CSV or XLSX file").set_input_files(
        {"name": "export.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", name="Map the columns of export.csv")).to_be_visible()
    # Guessed from the header; the unusual ones are mapped by hand.
    expect(page.get_by_label("Courriel")).to_have_value("email")
    page.get_by_label("Prénom du candidat").select_option(label="First name")
    page.get_by_label("Nom", exact=True).select_option(label="Last name")
    page.get_by_label("Compétences").select_option(label="Skills (list)")
    page.get_by_role("button", name="Dry run").click()

    preview = page.locator("#preview")
    expect(preview).to_contain_text("3 rows: 2 valid")
    expect(preview).to_contain_text("is not a valid email address")
    page.get_by_role("button", name="Import 2 valid rows").click()

    expect(page.get_by_text("Import finished")).to_be_visible(timeout=30_000)
    expect(page.locator("progress#import-bar")).to_have_attribute("value", "100")
    expect(page.get_by_role("status")).to_contain_text("Created 2")
    expect(page.get_by_role("link", name="Download the error report (CSV)")).to_be_visible()

    page.get_by_role("link", name="See the candidates").click()
    table = page.locator("table.candidate-table")
    expect(table).to_contain_text("Ada Lovelace")
    expect(table).to_contain_text("Grace Hopper")
    expect(table).to_contain_text("COBOL")

    # The filters work in place (htmx) and stay in the URL.
    page.get_by_label("Search").fill("hopper")
    expect(table).not_to_contain_text("Ada Lovelace")
    expect(page).to_have_url(site.url("/candidates/?q=hopper&sort=-activity"))
    # Sorting keeps the filters, and the next filter change keeps the sort.
    page.get_by_label("Search").fill("")
    expect(table).to_contain_text("Ada Lovelace")
    table.get_by_role("link", name="Name").click()
    expect(page).to_have_url(site.url("/candidates/?sort=name"))
    expect(table.locator("tbody tr").first).to_contain_text("Grace Hopper")  # H < L
    page.get_by_label("Search").fill("example")
    expect(page).to_have_url(site.url("/candidates/?q=example&sort=name"))
    assert site.foreign_requests() == []
