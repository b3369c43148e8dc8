"""The staff shell: every section in the top navigation with the current one marked, sub-
navigations marking their page, "Back" following a safe `next`, and styled error pages."""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from tests.candidates import factories as f


def _current(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', html)


def test_top_navigation_has_positions_and_sent_mail_and_marks_the_section(tenant_a):
    position = f.position()
    client = tenant_a.client(tenant_a.hr_admin)
    pages = {
        "/candidates/": "/candidates/",
        f"/candidates/positions/{position.pk}/board/": "/candidates/positions/",
        "/mail/": "/mail/",
        "/campaigns/insights/": "/campaigns/",
        "/accounts/settings/audit-log/": "/accounts/settings/",
        "/candidates/stages/": "/accounts/settings/",
    }
    for path, section in pages.items():
        html = client.get(path).content.decode()
        nav = html[html.index('aria-label="Main"') : html.index("</nav>")]
        assert 'href="/candidates/positions/"' in nav and 'href="/mail/"' in nav
        assert _current(nav) == [section], (path, _current(nav))


def test_sub_navigations_mark_their_page(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    html = client.get("/accounts/settings/audit-log/").content.decode()
    settings_nav = html[html.index('class="subnav"') :]
    assert _current(settings_nav)[0] == "/accounts/settings/audit-log/"
    html = client.get("/accounts/settings/").content.decode()
    assert _current(html[html.index('class="subnav"') :])[0] == "/accounts/settings/"
    html = client.get("/campaigns/insights/").content.decode()
    assert _current(html[html.index('class="subnav"') :])[0] == "/campaigns/insights/"


def test_back_follows_a_safe_next_only(tenant_a):
    person = f.candidate()
    app = f.application(person)
    client = tenant_a.client(tenant_a.recruiter)
    board = f"/candidates/positions/{app.position_id}/board/"
    html = client.get(f"/feedback/applications/{app.pk}/reject/?next={board}").content.decode()
    assert f'class="back-link" href="{board}"' in html
    html = client.get(
        f"/feedback/applications/{app.pk}/reject/?next=https://evil.example/"
    ).content.decode()
    assert f'class="back-link" href="/candidates/{person.pk}/"' in html  # the candidate
    html = client.get(f"/candidates/{person.pk}/?next=/candidates/%3Fcountry%3DFR").content
    assert b'class="back-link" href="/candidates/?country=FR"' in html


def test_error_pages_are_styled_and_say_what_to_do():
    for code, words in (("403", "cannot open"), ("404", "not found"), ("500", "went wrong")):
        html = render_to_string(f"{code}.html")
        assert "css/error.css" in html and "<main>" in html and words in html
        assert 'href="/"' in html and "style=" not in html
