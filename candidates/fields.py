"""The candidate's profile fields: the one list that services, bulk upserts, the import, the
edit form and the API derive theirs from (a field added here reaches all of them)."""

from __future__ import annotations

# Fields a caller may set through upsert/update/import (not the email, which identifies the
# person, nor bookkeeping such as merged_into), in the order forms and exports show them.
CANDIDATE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "city",
    "country",
    "languages",
    "preferred_language",
    "profession",
    "seniority",
    "years_experience",
    "interests",
    "desired_positions",
    "desired_locations",
    "age_bracket",
    "source",
    "notes",
)
# The fields among them holding a list of strings (JSON arrays).
LIST_FIELDS = frozenset({"languages", "interests", "desired_positions", "desired_locations"})
