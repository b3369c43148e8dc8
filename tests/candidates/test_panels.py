"""Profile panels: later apps' boxes on the candidate page, in order, hidden when they say so."""

from __future__ import annotations

from candidates.panels import _panels, register_profile_panel
from tests.candidates import factories as f


def test_registered_panels_render_in_order_and_none_hides_one(tenant_a, tmp_path, settings):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "_a.html").write_text("A for {{ candidate.first_name }}: {{ note }}")
    (tmp_path / "t" / "_b.html").write_text("B panel")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}, *settings.TEMPLATES[1:]]
    person = f.candidate(first_name="Ada")
    register_profile_panel("test_b", "Second", "t/_b.html", lambda c, r: {}, order=2)
    register_profile_panel(
        "test_a", "First", "t/_a.html", lambda c, r: {"note": "<b>x</b>"}, order=1
    )
    register_profile_panel("test_hidden", "Hidden", "t/_b.html", lambda c, r: None, order=0)
    try:
        page = tenant_a.client(tenant_a.recruiter).get(f"/candidates/{person.pk}/")
        html = page.content.decode()
    finally:
        for key in ("test_a", "test_b", "test_hidden"):
            _panels.pop(key)
    assert html.index('id="panel-test_a"') < html.index('id="panel-test_b"')
    assert "A for Ada: &lt;b&gt;x&lt;/b&gt;" in html
    assert "Hidden" not in html and 'id="panel-test_hidden"' not in html
