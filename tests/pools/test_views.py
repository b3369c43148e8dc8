from __future__ import annotations

import csv
import io

import pytest

from accounts.models import AuditLog
from candidates.criteria import CriteriaForm
from candidates.exporting import EXPORT_COLUMNS
from candidates.services import candidate_tags_add
from pools.models import Pool, PoolKind, RuleRun, TagRule
from pools.selectors import pool_members
from pools.services import pool_members_add, pool_save
from tests.pools.helpers import application, candidate, reach, reject, tag_names


def smart(name, **data):
    form = CriteriaForm(data)
    assert form.is_valid(), form.errors
    return pool_save(actor=None, name=name, kind=PoolKind.SMART, criteria=form.active())


@pytest.fixture
def data(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ada = candidate(first_name="Ada", skills=["Python"], country="FR", profession="Engineer")
        bob = candidate(first_name="=HYPERLINK(1)", skills=["Python"], country="DE")
        cy = candidate(first_name="Cy", skills=["Go"], country="FR", seniority="lead")
        for person in (ada, bob):
            app = application(person)
            reach(app, "final-interview")
            reject(app)
    return {"ada": ada, "bob": bob, "cy": cy}


def test_create_a_smart_pool_over_http_and_see_it(tenant_a, data):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.get("/pools/new/?kind=smart")
    assert response.status_code == 200
    response = client.post(
        "/pools/new/",
        {
            "kind": "smart",
            "name": "Silver pythonistas",
            "c-tags_all": ["silver-medalist"],
            "c-skills_all": ["Python"],
        },
    )
    pool = Pool.objects.get(name="Silver pythonistas")
    assert response.status_code == 302 and response["Location"] == f"/pools/{pool.pk}/"
    page = client.get(f"/pools/{pool.pk}/").content.decode()
    assert 'data-testid="pool-count">2<' in page
    # Full names: a short one like "Cy" can turn up inside the random CSRF token.
    assert "Ada Test" in page and "Cy Test" not in page
    assert "Profession" in page and "Engineer: 1" in page
    assert 'data-testid="pool-contactable">0<' in page
    listing = client.get("/pools/").content.decode()
    assert "Silver pythonistas" in listing


def test_live_count_while_editing_criteria(tenant_a, data):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.get("/pools/count/", {"c-country": "FR"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="criteria-count">2<' in response.content.decode()
    response = client.get(
        "/pools/count/",
        {"c-tags_all": ["silver-medalist"], "c-tags_none": ["silver-medalist"]},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'data-testid="criteria-count">0<' in body
    assert "both required and excluded" in body


def test_unknown_tag_in_criteria_is_a_form_error_not_a_500(tenant_a, data):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/pools/new/", {"kind": "smart", "name": "Ghost", "c-tags_all": ["no-such-tag"]}
    )
    assert response.status_code == 200
    assert "does not exist" in response.content.decode()
    assert not Pool.objects.filter(name="Ghost").exists()
    response = client.post("/pools/new/", {"kind": "smart", "name": "Empty"})
    assert "at least one criterion" in response.content.decode()


def test_pool_members_filtered_like_the_candidate_list(tenant_a, data):
    pool = smart("Pythonistas", skills_any=["Python"])
    client = tenant_a.client(tenant_a.recruiter)
    body = client.get(f"/pools/{pool.pk}/", {"country": "FR"}).content.decode()
    assert 'data-testid="matching-count">1<' in body
    assert "Ada" in body and "HYPERLINK" not in body
    partial = client.get(
        f"/pools/{pool.pk}/", {"country": "DE"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial and "HYPERLINK" in partial
    body = client.get(f"/pools/{pool.pk}/", {"country": "FRANCE"}).content.decode()
    assert "not understood" in body


def test_csv_export_is_formula_safe_and_audited(tenant_a, data):
    pool = smart("Pythonistas", skills_any=["Python"])
    client = tenant_a.client(tenant_a.recruiter)
    response = client.get(f"/pools/{pool.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="pool-pythonistas-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["First name", "Last name", "Email"]
    first_names = sorted(row[0] for row in rows[1:])
    assert first_names == ["'=HYPERLINK(1)", "Ada"]
    ada_row = next(row for row in rows if row[0] == "Ada")
    assert "silver-medalist" in ada_row[rows[0].index("Tags")]
    # The candidate list's columns: one list of export columns (candidates.exporting).
    assert rows[0] == [str(label) for _key, label in EXPORT_COLUMNS]
    entry = AuditLog.objects.filter(action="candidate.export").latest("pk")
    assert entry.details["count"] == 2 and entry.actor == tenant_a.recruiter


def test_bulk_tag_and_add_to_static_pool(tenant_a, data):
    pool = smart("Pythonistas", skills_any=["Python"])
    target = pool_save(actor=None, name="Spring call-backs", kind=PoolKind.STATIC)
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        f"/pools/{pool.pk}/bulk/",
        {
            "action": "tag",
            "scope": "selected",
            "candidate_ids": [data["ada"].pk, data["cy"].pk],  # Cy is not in the pool
            "tag_name": "call-in-march",
            "filters": "",
        },
    )
    assert response.status_code == 302
    assert "call-in-march" in tag_names(data["ada"])
    assert "call-in-march" not in tag_names(data["cy"])
    client.post(
        f"/pools/{pool.pk}/bulk/",
        {"action": "add", "scope": "all", "target": target.pk, "filters": "country=DE"},
    )
    assert set(pool_members(target).values_list("pk", flat=True)) == {data["bob"].pk}


def test_bulk_action_bad_input_gets_a_message(tenant_a, data):
    pool = smart("Pythonistas", skills_any=["Python"])
    client = tenant_a.client(tenant_a.recruiter)
    for payload, message in [
        ({"action": "tag", "scope": "all", "tag_name": "x" * 300}, "at most 100 characters"),
        ({"action": "tag", "scope": "all", "tag_name": "bad\x07tag"}, "invisible characters"),
        ({"action": "tag", "scope": "selected", "tag_name": "ok"}, "Select at least one"),
        ({"action": "add", "scope": "all"}, "Choose the static pool"),
        ({"action": "remove", "scope": "all"}, "is a smart pool"),
    ]:
        response = client.post(f"/pools/{pool.pk}/bulk/", payload, follow=True)
        assert response.status_code == 200
        assert message in response.content.decode(), payload


def test_static_pool_add_by_email(tenant_a, data):
    pool = pool_save(actor=None, name="Picked", kind=PoolKind.STATIC)
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        f"/pools/{pool.pk}/add/",
        {"emails": f"{data['ada'].email.upper()}\nnobody@example.com"},
        follow=True,
    )
    body = response.content.decode()
    assert "Added 1 new member" in body and "nobody@example.com" in body
    assert list(pool_members(pool)) == [data["ada"]]
    body = client.get(f"/pools/{pool.pk}/").content.decode()
    assert 'data-testid="pool-count">1<' in body


def test_empty_and_broken_pools_render(tenant_a, data):
    empty = pool_save(actor=None, name="Empty", kind=PoolKind.STATIC)
    candidate_tags_add(candidates=[data["cy"]], names=["temp"], actor=None)
    broken = smart("Temp", tags_any=["temp"])
    from taggit.models import Tag

    Tag.objects.filter(name="temp").delete()
    client = tenant_a.client(tenant_a.recruiter)
    assert "No members yet" in client.get(f"/pools/{empty.pk}/").content.decode()
    body = client.get(f"/pools/{broken.pk}/").content.decode()
    assert "no longer work" in body and "temp" in body
    assert "Needs attention" in client.get("/pools/").content.decode()
    assert client.get(f"/pools/{broken.pk}/edit/").status_code == 200


def test_pools_are_per_tenant(tenant_a, tenant_b):
    tenant_a.activate()
    pool = pool_save(actor=None, name="Alpha only", kind=PoolKind.STATIC)
    client = tenant_b.client(tenant_b.recruiter)
    assert client.get(f"/pools/{pool.pk}/").status_code == 404
    assert "Alpha only" not in client.get("/pools/").content.decode()
    assert tenant_a.client(tenant_a.recruiter).get(f"/pools/{pool.pk}/").status_code == 200


def test_delete_pool(tenant_a, data):
    pool = pool_save(actor=None, name="Old", kind=PoolKind.STATIC)
    pool_members_add(actor=None, pool=pool, candidates=[data["ada"].pk])
    client = tenant_a.client(tenant_a.recruiter)
    assert client.post(f"/pools/{pool.pk}/delete/").status_code == 302
    assert not Pool.objects.filter(pk=pool.pk).exists()


# --- Rules ---------------------------------------------------------------------------------------


def test_recruiters_cannot_edit_rules(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    assert client.get("/pools/rules/").status_code == 403
    assert client.post("/pools/rules/runs/").status_code == 403


def test_rule_editor_previews_then_saves(tenant_a, data):
    client = tenant_a.client(tenant_a.hr_admin)
    assert client.get("/pools/rules/new/").status_code == 200
    form = {"name": "Go people", "tag_name": "gopher", "is_active": "on", "skill": "go"}
    preview = client.post("/pools/rules/preview/", form, HTTP_HX_REQUEST="true").content.decode()
    assert "would tag <strong>1</strong> candidate" in preview
    assert not TagRule.objects.filter(name="Go people").exists()
    response = client.post("/pools/rules/new/", form)
    assert response.status_code == 302
    assert tag_names(data["cy"]) == {"gopher"}
    body = client.get("/pools/rules/").content.decode()
    assert "Go people" in body and "skill go" in body


def test_rule_editor_rejects_bad_input_with_messages(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    for form, message in [
        ({"name": "Nothing", "tag_name": "x"}, "at least one condition"),
        ({"name": "Long", "tag_name": "x" * 200, "seniority": "lead"}, "at most 100"),
        ({"name": "Country", "tag_name": "x", "country": "F1"}, "two-letter"),
        ({"name": "Young talent", "tag_name": "x", "seniority": "lead"}, "already exists"),
    ]:
        response = client.post("/pools/rules/new/", form)
        assert response.status_code == 200
        assert message in response.content.decode(), form
        preview = client.post("/pools/rules/preview/", form, HTTP_HX_REQUEST="true")
        assert preview.status_code == 200


def test_broken_rule_is_shown_not_a_500(tenant_a):
    from taggit.models import Tag

    Tag.objects.filter(name="young-talent").delete()
    client = tenant_a.client(tenant_a.hr_admin)
    body = client.get("/pools/rules/").content.decode()
    assert "Broken:" in body and "young-talent" in body
    rule = TagRule.objects.get(name="Young talent")
    assert client.get(f"/pools/rules/{rule.pk}/").status_code == 200


def test_starting_a_rule_run_twice_reuses_the_unfinished_run(tenant_a):
    client = tenant_a.client(tenant_a.hr_admin)
    response = client.post("/pools/rules/runs/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Queued" in response.content.decode()
    client.post("/pools/rules/runs/", HTTP_HX_REQUEST="true")
    run = RuleRun.objects.get()
    progress = client.get(f"/pools/rules/runs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in progress


def test_contactable_count_follows_consent(tenant_a, data):
    from consent.services import consent_grant

    consent_grant(
        candidate=data["ada"], purpose="job_offers", source="recruiter", reason="by phone"
    )
    pool = smart("Pythonistas", skills_any=["Python"])
    body = tenant_a.client(tenant_a.recruiter).get(f"/pools/{pool.pk}/").content.decode()
    assert 'data-testid="pool-count">2<' in body
    assert 'data-testid="pool-contactable">1<' in body


def test_odd_pool_names_get_a_message(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post("/pools/new/", {"kind": "static", "name": "x" * 500})
    assert response.status_code == 200
    assert "at most 120 characters" in response.content.decode()
    response = client.post("/pools/new/", {"kind": "static", "name": "   "})
    assert "This field is required" in response.content.decode()
    response = client.post("/pools/new/", {"kind": "static", "name": "<b>Été ✓</b>"})
    pool = Pool.objects.get()
    assert pool.name == "<b>Été ✓</b>"
    page = client.get(f"/pools/{pool.pk}/").content.decode()
    assert "&lt;b&gt;Été ✓&lt;/b&gt;" in page and "<b>Été" not in page


def test_bulk_tagging_very_many_at_once_is_refused(tenant_a, data, settings):
    settings.POOLS_BULK_TAG_MAX = 1
    pool = smart("Pythonistas", skills_any=["Python"])
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        f"/pools/{pool.pk}/bulk/", {"action": "tag", "scope": "all", "tag_name": "x"}, follow=True
    )
    assert "That would tag 2 candidates at once (at most 1)" in response.content.decode()
    assert "x" not in tag_names(data["ada"])


def test_dashboard_lists_pools_and_broken_rules(tenant_a):
    from taggit.models import Tag

    pool = pool_save(actor=None, name="Spring", kind=PoolKind.STATIC)
    Tag.objects.filter(name="young-talent").delete()
    body = tenant_a.client(tenant_a.hr_admin).get("/").content.decode()
    assert f'href="/pools/{pool.pk}/"' in body
    assert "1 tagging rule needs attention" in body and "Young talent" in body
    body = tenant_a.client(tenant_a.recruiter).get("/").content.decode()
    assert "Spring" in body and "needs attention" not in body
