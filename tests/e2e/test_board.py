"""The pipeline board in a real Chromium: drag and drop, the keyboard alternative, the "Move
to…" menu, a stale board's refusal, bulk moves, and rejecting from a card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from candidates.models import Application, Stage
from candidates.pipeline import application_stage_move
from tests.candidates import factories as f

pytestmark = pytest.mark.e2e


def _board(site, page):
    site.world.activate()
    position = f.position(title="Backend engineer", required_skills=["Python"])
    people = {
        name: f.application(
            f.candidate(
                first_name=name, last_name="Example", skills=["Python", "SQL", "Go", "Rust"]
            ),
            position,
        )
        for name in ("Ada", "Bob", "Cyd", "Dee")
    }
    page.set_viewport_size({"width": 1366, "height": 900})
    site.login(page, site.world.recruiter)
    page.goto(site.url(f"/candidates/positions/{position.pk}/board/"))
    return position, people


def column(page, slug):
    stage = Stage.objects.get(slug=slug)
    return page.locator(f'.board-column[data-stage="{stage.pk}"]')


def stage_of(app) -> str:
    return Application.objects.select_related("stage").get(pk=app.pk).stage.slug


def test_drag_a_card_to_another_stage(site, page):
    _, people = _board(site, page)
    site.world.activate()
    expect(column(page, "applied").locator("[data-count]")).to_have_text("4")
    card = page.locator(f"#card-{people['Ada'].pk}")
    expect(card).to_contain_text("Python")  # key skills on the card
    card.drag_to(column(page, "interview").locator(".board-cards"))

    expect(column(page, "interview").locator(f"#card-{people['Ada'].pk}")).to_be_visible()
    expect(column(page, "interview").locator("[data-count]")).to_have_text("1")
    expect(column(page, "applied").locator("[data-count]")).to_have_text("3")
    expect(page.locator("#board-live")).to_have_text("Ada Example moved to Interview.")
    assert stage_of(people["Ada"]) == "interview"
    # The move is real: a reload shows it where it was dropped.
    page.reload()
    expect(column(page, "interview").locator(f"#card-{people['Ada'].pk}")).to_be_visible()


def test_move_a_card_with_the_keyboard_only(site, page):
    _, people = _board(site, page)
    site.world.activate()
    card = page.locator(f"#card-{people['Bob'].pk}")
    card.focus()
    page.keyboard.press("Space")
    expect(page.locator("#board-live")).to_contain_text("Bob Example picked up, in Applied")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-live")).to_contain_text("Screening")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-live")).to_contain_text("Interview")
    page.keyboard.press("Enter")
    expect(page.locator("#board-live")).to_have_text("Bob Example moved to Interview.")
    expect(column(page, "interview").locator(f"#card-{people['Bob'].pk}")).to_be_visible()
    assert stage_of(people["Bob"]) == "interview"
    # Focus stays on the card, so the next move needs no mouse either; Escape cancels.
    expect(card).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Escape")
    expect(page.locator("#board-live")).to_have_text("Move cancelled.")
    assert stage_of(people["Bob"]) == "interview"

    # The "Move to…" menu is the other keyboard path (and works without the script).
    cyd = page.locator(f"#card-{people['Cyd'].pk}")
    cyd.get_by_text("Move to…").click()
    cyd.get_by_role("button", name="Offer").click()
    expect(column(page, "offer").locator(f"#card-{people['Cyd'].pk}")).to_be_visible()
    assert stage_of(people["Cyd"]) == "offer"


def test_a_stale_board_says_what_changed_and_changes_nothing(site, page):
    _, people = _board(site, page)
    site.world.activate()
    # A colleague moves Dee while this board is open.
    application_stage_move(
        application=people["Dee"], stage=Stage.objects.get(slug="screening"), actor=None
    )
    page.locator(f"#card-{people['Dee'].pk}").drag_to(column(page, "offer").locator(".board-cards"))
    expect(page.locator("#messages")).to_contain_text(
        "Dee Example was moved to Screening by someone else meanwhile"
    )
    # The card now shows where Dee really is, and Dee was not moved to Offer.
    expect(column(page, "screening").locator(f"#card-{people['Dee'].pk}")).to_be_visible()
    expect(column(page, "screening").locator("[data-count]")).to_have_text("1")
    assert stage_of(people["Dee"]) == "screening"


def test_bulk_move_and_reject_from_a_card(site, page):
    position, people = _board(site, page)
    site.world.activate()
    for name in ("Ada", "Bob"):
        page.locator(f"#card-{people[name].pk}").get_by_role("checkbox").check()
    expect(page.locator("#board-selected")).to_have_text("2 cards selected")
    page.get_by_label("Move the selected cards to").select_option(label="Screening")
    page.get_by_role("button", name="Move selected").click()
    expect(page.locator("#messages")).to_contain_text("2 candidates moved to Screening.")
    assert stage_of(people["Ada"]) == stage_of(people["Bob"]) == "screening"

    # Reject from a card opens the feedback app's reject page; its Back returns to the board.
    page.locator(f"#card-{people['Cyd'].pk}").get_by_role("link", name="Reject…").click()
    expect(page.get_by_role("heading", name="Reject Cyd Example")).to_be_visible()
    page.locator(".back-link").click()
    expect(page).to_have_url(site.url(f"/candidates/positions/{position.pk}/board/"))
