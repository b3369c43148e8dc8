"""candidates.fields is the one list of profile fields: the model has them, and the import and the
edit form offer each of them (the API derives its fields from the list itself)."""

from __future__ import annotations

from candidates.fields import CANDIDATE_FIELDS, LIST_FIELDS
from candidates.forms import CandidateForm
from candidates.importing import CANDIDATE_TARGETS
from candidates.models import Candidate


def test_every_profile_field_is_a_model_field_and_the_lists_are_among_them():
    names = {f.name for f in Candidate._meta.get_fields()}
    assert set(CANDIDATE_FIELDS) <= names
    assert set(CANDIDATE_FIELDS) >= LIST_FIELDS


def test_the_import_offers_every_profile_field():
    keys = {t.key for t in CANDIDATE_TARGETS}
    assert keys == {"email", "full_name", "skills", "tags", *CANDIDATE_FIELDS}


def test_the_form_edits_every_profile_field():
    assert set(CANDIDATE_FIELDS) <= set(CandidateForm.base_fields)
