from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.pools.helpers import application, candidate, reach, reject

pytestmark = pytest.mark.e2e


def silver_medalist(**fields):
    """A candidate rejected after the final interview, made through the services (with a
    committed tenant the events fire at once, so the silver-medalist rule tags them)."""
    person = candidate(**fields)
    app = application(person)
    reach(app, "final-interview")
    reject(app)
    return person


def test_create_a_smart_pool_of_silver_medalists_with_python_and_see_it_fill(site, page):
    site.world.activate()
    silver_medalist(first_name="Ada", last_name="Lovelace", skills=["Python"])
    silver_medalist(first_name="Grace", last_name="Hopper", skills=["COBOL"])
    candidate(first_name="Linus", last_name="Active", skills=["Python"])

    site.login(page, site.world.recruiter)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pools").click()
    expect(page.get_by_role("heading", name="Pools")).to_be_visible()
    page.get_by_role("button", name="New smart pool").click()
    page.get_by_label("Name").fill("Silver pythonistas")
    page.get_by_label("Tags (all of)").fill("silver-medalist")
    page.get_by_label("Skills (all of)").fill("python")
    # The live count (htmx) shows who matches before saving.
    expect(page.get_by_test_id("criteria-count")).to_have_text("1")
    page.get_by_role("button", name="Save pool").click()

    expect(page.get_by_role("heading", name="Silver pythonistas")).to_be_visible()
    expect(page.get_by_test_id("pool-count")).to_have_text("1")
    members = page.locator("#members table")
    expect(members).to_contain_text("Ada Lovelace")
    expect(members).not_to_contain_text("Grace Hopper")
    expect(members).not_to_contain_text("Linus")

    # The pool is evaluated live: a new silver medalist who knows Python appears on reload.
    site.world.activate()
    silver_medalist(first_name="Katherine", last_name="Johnson", skills=["python"])
    page.reload()
    expect(page.get_by_test_id("pool-count")).to_have_text("2")
    expect(members).to_contain_text("Katherine Johnson")
    assert site.foreign_requests() == []


@pytest.mark.worker
def test_hr_admin_previews_a_rule_then_reapplies_all_rules_with_progress(site, page, celery_worker):
    site.world.activate()
    for n in range(3):
        candidate(first_name=f"Lead{n}", seniority="lead")
    candidate(first_name="Junior", seniority="junior")

    site.login(page, site.world.hr_admin)
    page.goto(site.url("/pools/rules/new/"))
    page.get_by_label("Name").fill("Leads")
    page.get_by_label("Tag to set").fill("leaders")
    page.get_by_label("Seniority").select_option("lead")
    expect(page.get_by_test_id("rule-preview")).to_contain_text("would tag 3 candidates")
    page.get_by_role("button", name="Save and apply").click()
    expect(page.get_by_role("cell", name="seniority Lead")).to_be_visible()

    page.get_by_role("button", name="Re-apply all rules").click()
    # The htmx progress polls until the worker reports the run done.
    expect(page.get_by_test_id("rule-run-status")).to_have_text("Done", timeout=60_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
    assert site.foreign_requests() == []
