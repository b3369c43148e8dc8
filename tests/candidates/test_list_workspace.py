"""The candidate list's per-user state and bulk selection over HTTP: columns and saved views,
typeahead suggestions, filter chips, and "all matching" resolved on the server with the same
criteria and confirmed with its count."""

from __future__ import annotations

import json

from django.http import QueryDict

from candidates.list_views import list_form
from candidates.listing import filter_chips, list_columns_save, saved_view_save, user_columns
from candidates.models import Candidate, ListPreference, SavedView
from candidates.services import CandidateError
from tests.candidates import factories as f


def test_columns_are_per_user_and_unknown_ones_are_dropped(tenant_a):
    list_columns_save(user=tenant_a.recruiter, columns=["email", "nonsense", "skills"])
    assert ListPreference.objects.get(user=tenant_a.recruiter).columns == ["email", "skills"]
    assert [c.key for c in user_columns(tenant_a.recruiter)] == ["email", "skills"]
    # Someone else still has the defaults (with the consent column another app registered).
    keys = [c.key for c in user_columns(tenant_a.hr_admin)]
    assert "tags" in keys and "consent" in keys and "email" not in keys
    client = tenant_a.client(tenant_a.recruiter)
    f.candidate(first_name="Ada", email="ada@example.com")
    body = client.get("/candidates/").content.decode()
    assert ">Email</th>" in body and ">Tags</th>" not in body and "ada@example.com" in body


def test_saved_views_are_private_unless_shared_and_only_the_owner_deletes(tenant_a):
    own = saved_view_save(owner=tenant_a.recruiter, name="  FR ", query="country=FR", shared=False)
    team = saved_view_save(owner=tenant_a.recruiter, name="Team", query="country=DE", shared=True)
    assert own.name == "FR"
    hr_page = tenant_a.client(tenant_a.hr_admin).get("/candidates/").content.decode()
    assert "?country=DE" in hr_page and "?country=FR" not in hr_page
    response = tenant_a.client(tenant_a.hr_admin).post(f"/candidates/list/views/{team.pk}/delete/")
    assert response.status_code == 302 and SavedView.objects.filter(pk=team.pk).exists()
    # Same name again replaces the view; bad filters and empty names are refused.
    again = saved_view_save(owner=tenant_a.recruiter, name="FR", query="country=IT", shared=False)
    assert again.pk == own.pk and again.query == "country=IT"
    for name, query in (("", "country=FR"), ("Bad", "country=FRANCE"), ("Long", "q=" + "x" * 2001)):
        try:
            saved_view_save(owner=tenant_a.recruiter, name=name, query=query, shared=False)
        except CandidateError:
            continue
        raise AssertionError(f"{name!r} {query[:20]!r} was accepted")


def test_suggestions_start_with_the_term_are_per_tenant_and_bad_fields_refused(tenant_a, tenant_b):
    tenant_b.activate()
    f.candidate(skills=["Pyramid scheme detection"])
    tenant_a.activate()
    f.candidate(skills=["Python", "Jython"], profession="Python developer")
    f.candidate(skills=["Python"])
    client = tenant_a.client(tenant_a.recruiter)
    data = json.loads(client.get("/candidates/suggest/?field=skills&q=ython").content)
    assert data["results"] == ["Python", "Jython"]  # the most used first among the contained
    data = json.loads(client.get("/candidates/suggest/?field=skills&q=py").content)
    assert data["results"] == ["Python"]  # nothing from the other tenant
    data = json.loads(client.get("/candidates/suggest/?field=profession&q=pyth").content)
    assert data["results"] == ["Python developer"]
    assert client.get("/candidates/suggest/?field=emails&q=a").status_code == 400
    assert json.loads(client.get("/candidates/suggest/?field=tags&q=").content) == {"results": []}


def test_chips_remove_one_value_or_one_filter(tenant_a):
    f.candidate(skills=["Python", "Go"], country="FR")
    params = QueryDict("skills_any=Python, Go&country=fr&sort=name")
    chips = filter_chips(list_form(params), params)
    assert [(c.label, c.value) for c in chips] == [
        ("Skills (any of)", "Python"),
        ("Skills (any of)", "Go"),
        ("Country", "FR"),
    ]
    python = QueryDict(chips[0].remove_query)
    assert python.getlist("skills_any") == ["Go"] and python["country"] == "fr"
    assert "country" not in QueryDict(chips[2].remove_query)
    assert QueryDict(chips[2].remove_query)["sort"] == "name"


def _bulk(client, **data):
    return client.post("/candidates/bulk/tags/", data)


def test_tagging_all_matching_needs_the_count_confirmed_and_uses_the_list_criteria(tenant_a):
    for n in range(3):
        f.candidate(first_name=f"Fr{n}", country="FR")
    f.candidate(first_name="De", country="DE")
    client = tenant_a.client(tenant_a.recruiter)
    first = _bulk(client, scope="all", filters="country=FR", names="vip", action="add")
    assert first.status_code == 200
    body = first.content.decode()
    assert "Add the tags “vip” to" in body and "3 candidates?" in body and "Country: FR" in body
    assert not Candidate.objects.filter(tags__name="vip").exists()
    # Someone matching was added meanwhile: the old count does not confirm the new one.
    f.candidate(first_name="Fr3", country="FR")
    stale = _bulk(
        client, scope="all", filters="country=FR", names="vip", action="add", confirm_count="3"
    )
    assert stale.status_code == 200 and "changed since you looked" in stale.content.decode()
    assert not Candidate.objects.filter(tags__name="vip").exists()
    done = _bulk(
        client, scope="all", filters="country=FR", names="vip", action="add", confirm_count="4"
    )
    assert done.status_code == 302
    tagged = Candidate.objects.filter(tags__name="vip")
    assert tagged.count() == 4 and not tagged.filter(country="DE").exists()


def test_ticked_rows_need_no_confirmation_and_bad_selections_are_refused(tenant_a):
    a, b = f.candidate(), f.candidate()
    client = tenant_a.client(tenant_a.recruiter)
    response = _bulk(client, candidate_ids=[a.pk], names="x", action="add", next="/candidates/?q=a")
    assert response["Location"] == "/candidates/?q=a"
    assert set(Candidate.objects.filter(tags__name="x")) == {a}
    for data in (
        {"names": "y"},  # nothing ticked
        {"scope": "all", "filters": "country=FRANCE", "names": "y"},  # invalid filters
        {"scope": "everyone", "names": "y"},
        {"candidate_ids": [b.pk], "names": "y", "next": "https://evil.example/"},
    ):
        response = _bulk(client, action="add", **data)
        assert response.status_code == 302
        assert response["Location"].startswith("/candidates/")
    assert not Candidate.objects.filter(tags__name="y").exclude(pk=b.pk).exists()


def test_add_all_matching_to_a_static_pool_after_confirmation(tenant_a):
    from pools.models import Pool, PoolKind
    from pools.services import pool_save

    pool = pool_save(actor=tenant_a.hr_admin, name="Spring", kind=PoolKind.STATIC, criteria={})
    people = [f.candidate(country="IT") for _ in range(2)]
    f.candidate(country="ES")
    client = tenant_a.client(tenant_a.recruiter)
    data = {"scope": "all", "filters": "country=IT"}
    ask = client.post("/pools/add-candidates/", data)
    assert ask.status_code == 200 and "2 candidates?" in ask.content.decode()
    assert "Spring" in ask.content.decode()
    done = client.post("/pools/add-candidates/", {**data, "pool": pool.pk, "confirm_count": "2"})
    assert done.status_code == 302
    from pools.selectors import pool_members

    assert set(pool_members(Pool.objects.get(pk=pool.pk))) == set(people)


def test_reject_all_matching_leads_to_the_bulk_rejection_of_their_active_applications(tenant_a):
    position = f.position()
    apps = [f.application(f.candidate(country="PT"), position) for _ in range(2)]
    f.application(f.candidate(country="NL"), position)
    client = tenant_a.client(tenant_a.recruiter)
    data = {"scope": "all", "filters": "country=PT"}
    ask = client.post("/feedback/bulk-reject/candidates/", data)
    assert "Reject the active applications of" in ask.content.decode()
    page = client.post("/feedback/bulk-reject/candidates/", {**data, "confirm_count": "2"})
    body = page.content.decode()
    assert page.status_code == 200 and "Reject 2 applications" in body
    for app in apps:
        assert f'name="application_ids" value="{app.pk}"' in body
