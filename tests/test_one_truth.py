"""One truth each (issue #15): the candidate's language, the tenant's time zone, signed-link
loading and export columns each have one implementation; a second copy fails here.

- the candidate's language: `candidates.i18n` (`candidate_language`; the stored choice for the
  preference form through `candidate_language_choice`): no module outside `candidates` reads
  `.preferred_language` itself;
- the time zone: `tenants.i18n` (`tenant_zone`, `zone_named`): no module elsewhere builds a
  `ZoneInfo` or reads a tenant's `.time_zone`;
- signed links: `tests/tenants/test_links.py::test_no_app_loads_signed_links_itself`;
- export columns: `candidates.exporting.EXPORT_COLUMNS` (the pool export uses it:
  `tests/pools/test_views.py`).
"""

from __future__ import annotations

import ast

from tests.sources import ROOT, app_sources


def _nodes():  # type: ignore[no-untyped-def]
    for file in app_sources():
        relative = file.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(file.read_text())):
            yield relative, node


def test_only_candidates_reads_the_language_field():
    found = [
        f"{path}:{node.lineno}"
        for path, node in _nodes()
        if isinstance(node, ast.Attribute)
        and node.attr == "preferred_language"
        and isinstance(node.ctx, ast.Load)
        and not path.startswith("candidates/")
    ]
    assert found == [], "read the language through candidates.i18n"


def test_only_tenants_i18n_makes_time_zones():
    found = [
        f"{path}:{node.lineno}"
        for path, node in _nodes()
        if path != "tenants/i18n.py"
        and (
            (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ZoneInfo"
            )
            or (isinstance(node, ast.Attribute) and node.attr == "time_zone")
        )
    ]
    assert found == [], "use tenants.i18n.tenant_zone / zone_named"
