from __future__ import annotations

from playwright.sync_api import expect


def test_hr_admin_signs_in_and_sees_dashboard_and_navigation(site, page):
    site.login(page, site.world.hr_admin)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ["Candidates", "Pools", "Feedback", "Campaigns", "Consent", "Settings"]:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    nav.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    assert site.foreign_requests() == []


def test_recruiter_does_not_see_hr_admin_settings(site, page):
    site.login(page, site.world.recruiter)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Candidates", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Settings", exact=True)).to_have_count(0)
    response = page.goto(site.url("/accounts/settings/"))
    assert response is not None and response.status == 403
