"""Line breaks are refused in single-line fields (names, email, phone, city…) with a clear
message: in the staff form, the public apply and registration forms, the candidate services
(what an API calls) and the validator later apps use for bulk data."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candidates.models import Candidate, Position, PositionStatus
from candidates.services import CandidateError, candidate_update, candidate_upsert
from candidates.validators import LINE_BREAKS, MESSAGE, single_line_errors
from tenants.public_forms import FORM_STAMP_SALT

BREAKS = sorted(LINE_BREAKS)


@pytest.mark.parametrize("field", ["first_name", "last_name", "phone", "city", "profession"])
@pytest.mark.parametrize("brk", ["\n", "\r\n", "\u2028", "\x0b", "\x85"])
def test_candidate_upsert_refuses_a_line_break(tenant_a, field, brk):
    fields = {"first_name": "Ada", field: f"Ada{brk}Bcc: victim@example.com"}
    with pytest.raises(CandidateError) as refused:
        candidate_upsert(email="ada@example.com", actor=None, source="api", **fields)
    assert f"{field}: {MESSAGE}" in str(refused.value)
    assert not Candidate.objects.filter(email="ada@example.com").exists()


def test_candidate_update_refuses_a_line_break_and_keeps_the_old_value(tenant_a):
    ada, _ = candidate_upsert(email="ada@example.com", actor=None, source="form", first_name="Ada")
    with pytest.raises(CandidateError, match="Line breaks are not allowed"):
        candidate_update(candidate=ada, actor=None, first_name="Ada\nEvil")
    ada.refresh_from_db()
    assert ada.first_name == "Ada"


def test_an_email_with_a_line_break_inside_quotes_is_refused(tenant_a):
    with pytest.raises(CandidateError):
        candidate_upsert(email='"a\x0bb"@example.com', actor=None, source="api", first_name="A")


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.text(max_size=10), brk=st.sampled_from(BREAKS), after=st.text(max_size=10))
def test_the_bulk_validator_finds_every_kind_of_line_break(before, brk, after):
    value = before + brk + after
    assert single_line_errors({"first_name": value, "notes": value}) == {"first_name": str(MESSAGE)}
    clean = value.replace(brk, " ")
    if not any(b in clean for b in BREAKS):
        assert single_line_errors({"first_name": clean}) == {}


def test_the_staff_form_refuses_a_line_break(tenant_a):
    client = tenant_a.client(tenant_a.recruiter)
    response = client.post(
        "/candidates/new/",
        {"first_name": "Ada\nLovelace", "email": "ada@example.com", "last_name": ""},
    )
    assert response.status_code == 200
    assert "Line breaks are not allowed here" in response.content.decode()
    assert not Candidate.objects.filter(email="ada@example.com").exists()


def test_the_public_apply_form_refuses_a_line_break(tenant_a):
    position = Position.objects.create(title="Engineer", status=PositionStatus.OPEN)
    response = tenant_a.client().post(
        f"/candidates/jobs/{position.pk}/",
        {
            "first_name": "Ada",
            "last_name": "L",
            "email": "ada@example.com",
            "phone": "1\r\n2",
            # The form's signed stamp as served a minute ago (tenants.public_forms).
            "stamp": signing.dumps(int(time.time()) - 60, salt=FORM_STAMP_SALT),
        },
    )
    assert response.status_code == 400  # the form again, with its errors
    assert "Line breaks are not allowed here" in response.content.decode()
    assert not Candidate.objects.filter(email="ada@example.com").exists()


def test_the_registration_form_refuses_a_line_break():
    from consent.forms import RegistrationForm

    form = RegistrationForm(data={"first_name": "Ada\u2029", "city": "Paris\nLondon"})
    form.is_valid()
    assert str(MESSAGE) in form.errors["city"]
    # A trailing break is trimmed like any other surrounding whitespace: only inner ones count.
    assert "first_name" not in form.errors or str(MESSAGE) not in form.errors["first_name"]
