"""The candidate list in a real Chromium at a laptop's 1366x900: density (at least 15 rows on
screen, nothing cut on the right), filters with typeahead and removable chips, remembered
columns, saved views, and "select all N matching" for a bulk action beyond the first page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from candidates.models import Candidate, ListPreference, SavedView
from tests.candidates import factories as f

pytestmark = pytest.mark.e2e

MANY_SKILLS = ["Python", "Django", "PostgreSQL", "Kubernetes", "Terraform", "GraphQL"]


def _people(site, n_python: int, n_other: int) -> None:
    site.world.activate()
    for i in range(n_python):
        f.candidate(
            first_name=f"Pythonista{i:02}",
            last_name="With A Rather Long Family Name",
            profession="Software engineer",
            country="FR",
            skills=MANY_SKILLS,
        )
    for i in range(n_other):
        f.candidate(first_name=f"Nurse{i:02}", profession="Nurse", country="DE", skills=["Triage"])


def _open(site, page, path="/candidates/"):
    page.set_viewport_size({"width": 1366, "height": 900})
    site.login(page, site.world.recruiter)
    page.goto(site.url(path))


def test_at_least_15_rows_on_one_laptop_screen_and_nothing_cut(site, page):
    _people(site, 30, 10)
    _open(site, page)
    rows = page.locator("table.candidate-table tbody tr")
    expect(rows).to_have_count(40)
    visible = page.evaluate(
        """() => [...document.querySelectorAll('table.candidate-table tbody tr')]
              .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"""
    )
    assert visible >= 15, visible
    # One line per row: six skills collapse to three chips and "+3".
    heights = page.evaluate(
        """() => [...document.querySelectorAll('table.candidate-table tbody tr')]
              .map(r => r.getBoundingClientRect().height)"""
    )
    assert max(heights) < 40, heights
    expect(rows.filter(has_text="Pythonista00").locator(".chip-more")).to_have_text("+3")
    # No horizontal cut: neither the page nor the table's own scroller is wider than the screen.
    widths = page.evaluate(
        """() => { const s = document.querySelector('.candidate-scroll');
                   const d = document.documentElement;
                   return [d.scrollWidth, d.clientWidth, s.scrollWidth, s.clientWidth]; }"""
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
    # The header stays in view while the rows scroll.
    page.locator(".candidate-scroll").evaluate("el => el.scrollTop = 400")
    top = page.evaluate(
        """() => { const s = document.querySelector('.candidate-scroll').getBoundingClientRect();
                   const h = document.querySelector('.candidate-table thead th')
                     .getBoundingClientRect();
                   return [Math.round(s.top), Math.round(h.top)]; }"""
    )
    assert abs(top[0] - top[1]) <= 2, top


def test_filters_with_typeahead_become_chips_that_remove_them(site, page):
    _people(site, 3, 4)
    _open(site, page)
    page.get_by_role("button", name="Filters").click()
    skills = page.get_by_label("Skills (any of)", exact=True)
    skills.press_sequentially("pyth")
    option = page.get_by_role("option", name="Python")
    expect(option).to_be_visible()
    skills.press("ArrowDown")
    skills.press("Enter")
    expect(skills).to_have_value("Python, ")
    page.get_by_role("textbox", name="Country").fill("fr")
    page.get_by_role("button", name="Apply filters").click()

    chips = page.locator("#filter-chips")
    expect(chips).to_contain_text("Skills (any of): Python")
    expect(chips).to_contain_text("Country: FR")
    expect(page.locator("#result-count")).to_have_text("3 candidates")
    expect(page.get_by_role("button", name="Filters (2)")).to_be_visible()

    # Removing a chip removes that filter only.
    chips.get_by_role("link", name="Country: FR").click()
    expect(chips).not_to_contain_text("Country")
    expect(chips).to_contain_text("Skills (any of): Python")
    expect(page.locator("#result-count")).to_have_text("3 candidates")
    chips.get_by_role("link", name="Skills (any of): Python").click()
    expect(page.locator("#filter-chips")).to_have_count(0)
    expect(page.locator("#result-count")).to_have_text("7 candidates")


def test_columns_are_remembered_per_user_and_views_can_be_saved(site, page):
    _people(site, 2, 1)
    _open(site, page)
    head = page.locator("table.candidate-table thead")
    expect(head).to_contain_text("Tags")
    page.get_by_role("button", name="Columns").click()
    page.get_by_label("Tags", exact=True).uncheck()
    page.get_by_label("Email", exact=True).check()
    page.get_by_role("button", name="Save columns").click()
    expect(head).to_contain_text("Email")
    expect(head).not_to_contain_text("Tags")
    site.world.activate()
    pref = ListPreference.objects.get(user=site.world.recruiter)
    assert "email" in pref.columns and "tags" not in pref.columns

    page.goto(site.url("/candidates/?country=FR"))
    page.get_by_text("Save these filters as a view").click()
    page.get_by_label("View name").fill("French engineers")
    page.get_by_label("Share with my colleagues").check()
    page.get_by_role("button", name="Save view").click()
    expect(page.locator("#messages")).to_contain_text("View “French engineers” saved.")
    site.world.activate()
    view = SavedView.objects.get(owner=site.world.recruiter)
    assert view.query == "country=FR" and view.shared

    # Another recruiter (the HR admin here) sees the shared view and opens it.
    page.goto(site.url("/candidates/"))
    page.get_by_role("button", name="Saved views").click()
    page.get_by_role("link", name="French engineers").click()
    expect(page.locator("#filter-chips")).to_contain_text("Country: FR")
    expect(page.locator("#result-count")).to_have_text("2 candidates")


def test_select_all_matching_tags_everyone_beyond_the_first_page(site, page):
    _people(site, 55, 3)
    _open(site, page, "/candidates/?country=FR")
    expect(page.locator("#result-count")).to_contain_text("55 candidates")
    page.get_by_label("Select every candidate on this page").check()
    banner = page.locator("#select-all-banner")
    expect(banner).to_contain_text("All 50 candidates on this page are selected.")
    banner.get_by_role("button", name="Select all 55 matching").click()
    expect(banner).to_contain_text("All 55 candidates matching the filters are selected.")
    page.locator("#bulk-names").fill("vip")
    page.get_by_role("button", name="Add tags").click()

    # The server counted the same criteria and asks before acting on all of them.
    expect(page.get_by_role("heading")).to_contain_text("Add the tags “vip” to 55 candidates?")
    expect(page.locator("main")).to_contain_text("Country: FR")
    page.get_by_role("button", name="Confirm for 55 candidates").click()
    expect(page.locator("#messages")).to_contain_text("Tags added to 55 candidates.")
    site.world.activate()
    tagged = Candidate.objects.filter(tags__name="vip")
    assert tagged.count() == 55
    assert not tagged.exclude(country="FR").exists()
