"""The pipeline board over HTTP: moves answer JSON for the script and redirect without it, a
stale board is refused with a message saying what changed, bulk moves skip closed ones."""

from __future__ import annotations

import json

from candidates.models import Application, Stage
from candidates.pipeline import application_outcome_set, application_stage_move
from tests.candidates import factories as f


def _stage(slug: str) -> Stage:
    return Stage.objects.get(slug=slug)


def _setup():
    position = f.position(title="Backend", required_skills=["Go"])
    apps = [
        f.application(f.candidate(first_name=n, skills=["Python", "Go"]), position)
        for n in ("Ada", "Bob", "Cyd")
    ]
    return position, apps


def _move(client, position, **data):
    return client.post(
        f"/candidates/positions/{position.pk}/board/move/", data, HTTP_ACCEPT="application/json"
    )


def test_board_shows_a_column_per_stage_with_cards_and_counts(tenant_a):
    position, apps = _setup()
    application_stage_move(application=apps[0], stage=_stage("interview"), actor=None)
    application_outcome_set(application=apps[2], outcome="withdrawn", actor=None)
    body = (
        tenant_a.client(tenant_a.recruiter)
        .get(f"/candidates/positions/{position.pk}/board/")
        .content.decode()
    )
    for stage in Stage.objects.all():
        assert f'data-stage="{stage.pk}" data-stage-name="{stage.name}"' in body
    assert f'id="card-{apps[0].pk}"' in body and f'id="card-{apps[1].pk}"' in body
    assert f'id="card-{apps[2].pk}"' not in body  # closed: not on the board
    assert "1 withdrawn" in body
    # The required skill comes first among the card's key skills.
    card = body[body.index(f'id="card-{apps[1].pk}"') :]
    assert card.index(">Go<") < card.index(">Python<")


def test_a_move_answers_json_with_the_new_counts(tenant_a):
    position, apps = _setup()
    applied, interview = _stage("applied"), _stage("interview")
    response = _move(
        tenant_a.client(tenant_a.recruiter),
        position,
        application=apps[0].pk,
        stage=interview.pk,
        from_stage=applied.pk,
    )
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["ok"] and data["message"].endswith("moved to Interview.")
    assert data["counts"][str(applied.pk)] == 2 and data["counts"][str(interview.pk)] == 1
    assert Application.objects.get(pk=apps[0].pk).stage == interview


def test_a_stale_board_is_refused_and_told_where_the_card_is(tenant_a):
    position, apps = _setup()
    applied, screening, offer = _stage("applied"), _stage("screening"), _stage("offer")
    application_stage_move(application=apps[0], stage=screening, actor=None)  # a colleague
    response = _move(
        tenant_a.client(tenant_a.recruiter),
        position,
        application=apps[0].pk,
        stage=offer.pk,
        from_stage=applied.pk,
    )
    assert response.status_code == 409
    data = json.loads(response.content)
    assert "was moved to Screening by someone else meanwhile" in data["message"]
    assert data["stage"] == screening.pk
    assert Application.objects.get(pk=apps[0].pk).stage == screening

    application_outcome_set(application=apps[1], outcome="hired", actor=None)
    response = _move(
        tenant_a.client(tenant_a.recruiter),
        position,
        application=apps[1].pk,
        stage=offer.pk,
        from_stage=applied.pk,
    )
    assert response.status_code == 409
    assert json.loads(response.content)["stage"] is None  # closed: off the board
    assert "marked hired meanwhile" in json.loads(response.content)["message"]


def test_without_the_script_a_move_redirects_back_with_a_message(tenant_a):
    position, apps = _setup()
    client = tenant_a.client(tenant_a.recruiter)
    applied, offer = _stage("applied"), _stage("offer")
    response = client.post(
        f"/candidates/positions/{position.pk}/board/move/",
        {"move": f"{apps[0].pk}:{offer.pk}:{applied.pk}", "application_ids": [apps[1].pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/candidates/positions/{position.pk}/board/"
    # Only the card whose button was pressed moved; the ticked box was for the bulk bar.
    assert Application.objects.get(pk=apps[0].pk).stage == offer
    assert Application.objects.get(pk=apps[1].pk).stage == applied


def test_bulk_move_skips_closed_applications_and_says_so(tenant_a):
    position, apps = _setup()
    application_outcome_set(application=apps[2], outcome="withdrawn", actor=None)
    client = tenant_a.client(tenant_a.recruiter)
    screening = _stage("screening")
    response = _move(client, position, application_ids=[a.pk for a in apps], stage=screening.pk)
    data = json.loads(response.content)
    assert data["message"] == (
        "2 candidates moved to Screening. 1 was closed meanwhile and left as it is."
    )
    assert Application.objects.filter(stage=screening).count() == 2


def test_bad_input_is_a_clear_refusal_not_a_500(tenant_a):
    position, apps = _setup()
    other = f.position(title="Other")
    client = tenant_a.client(tenant_a.recruiter)
    assert _move(client, position, application=apps[0].pk, stage=999999).status_code == 409
    assert _move(client, position, stage=_stage("offer").pk).status_code == 409  # nothing ticked
    # An application of another position cannot be moved through this board.
    assert _move(client, other, application=apps[0].pk, stage=_stage("offer").pk).status_code == 404
    assert _move(client, position, application="x", stage="y").status_code == 409


def test_another_tenant_cannot_see_or_move_the_board(tenant_a, tenant_b):
    tenant_a.activate()
    position, apps = _setup()
    client = tenant_b.client(tenant_b.recruiter)
    assert client.get(f"/candidates/positions/{position.pk}/board/").status_code == 404
    tenant_a.activate()
    assert Application.objects.get(pk=apps[0].pk).stage.slug == "applied"
