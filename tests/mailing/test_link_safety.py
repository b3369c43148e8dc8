"""A candidate-supplied value placed where an HR template puts a link target never decides where
the link leads: no javascript:, data: or vbscript: link, no link to another site from a name;
link tags (*_url) still work, and values inside HR's own URLs stay one inert piece of them."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailing.rendering import render_email

ALLOWED = ("first_name", "last_name", "position_title", "reapply_url")
# Every way an HR author can put a merge tag in a link target.
LINK_TEMPLATES = [
    "[Click]({{ first_name }})",
    "[Click]({{first_name}}{{ last_name }})",
    "![photo]({{ first_name }})",
    "[Click][ref]\n\n[ref]: {{ first_name }}",
    '<a href="{{ first_name }}">Click</a>',
    "<a href='  {{ first_name }}'>Click</a>",
    '<img src="{{ first_name }}" alt="x">',
    "[Click](https://jobs.example.com/apply?name={{ first_name }})",
    "[Click](/{{ first_name }})",
    "[Click](java{{ first_name }})",
    "[Click]({{ first_name }}/path)",
    "<{{ first_name }}>",
    "[Apply]({{ reapply_url }}) or [mail](mailto:{{ first_name }}@example.com)",
]
HOSTILE = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/phish",
    "https://evil.example/phish",
    '"><script>alert(1)</script>',
    "x' onmouseover='alert(1)",
]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "cite"}
SAFE_SCHEMES = {"", "http", "https", "mailto"}
OUR_HOSTS = {"", "jobs.example.com", "alpha.localhost"}  # the hosts the templates name


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES:
                self.targets.append(value or "")
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")


def _scheme(target: str) -> str:
    """The scheme a browser would see: it strips leading C0 controls and spaces and removes
    tabs and line breaks anywhere before parsing."""
    cleaned = target.lstrip("".join(map(chr, range(0x21))))
    cleaned = cleaned.replace("\t", "").replace("\n", "").replace("\r", "")
    return urlsplit(cleaned).scheme.lower()


def _render(body: str, first_name: str, reapply_url: str = "https://alpha.localhost/r/1"):
    return render_email(
        subject_source="Hello {{ first_name }}",
        body_source=body,
        context={
            "first_name": first_name,
            "last_name": first_name,
            "position_title": "Engineer",
            "reapply_url": reapply_url,
        },
        allowed_tags=ALLOWED,
    )


def _check(rendered, value: str) -> None:  # type: ignore[no-untyped-def]
    links = _Links()
    links.feed(rendered.html)
    assert links.handlers == []
    for target in links.targets:
        assert _scheme(target) in SAFE_SCHEMES, (value, target)
        # A candidate's value never starts a link target, so it never picks the site either.
        if len(value.strip()) >= 4:
            assert not target.lstrip().startswith(value.strip()), (value, target)
        assert urlsplit(target.strip()).netloc in OUR_HOSTS, (value, target)
    for line in rendered.text.splitlines():
        if "<" in line and ">" in line:
            inner = line[line.index("<") + 1 : line.rindex(">")]
            assert _scheme(inner) in SAFE_SCHEMES, (value, line)


@pytest.mark.parametrize("body", LINK_TEMPLATES)
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_in_link_positions_never_become_links(tenant_a, body, value):
    _check(_render(body, value), value)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.sampled_from(LINK_TEMPLATES),
    prefix=st.sampled_from(["javascript", "data", "vbscript", "JAVASCRIPT", "jav&#x61;script"]),
    noise=st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=6),
    tail=st.text(max_size=40),
)
def test_any_value_in_any_link_position_stays_inert(tenant_a, body, prefix, noise, tail):
    for value in (f"{noise}{prefix}:{tail}", f"{prefix}{noise}:{tail}", f"{tail}{noise}"):
        _check(_render(body, value), value)


def test_a_value_inside_hrs_own_url_is_percent_encoded(tenant_a):
    rendered = _render(
        "[Apply](https://jobs.example.com/apply?name={{ first_name }})", "Ana María/../x&y=1"
    )
    assert 'href="https://jobs.example.com/apply?name=Ana%20Mar%C3%ADa%2F..%2Fx%26y%3D1"' in (
        rendered.html
    )
    assert (
        "<https://jobs.example.com/apply?name=Ana%20Mar%C3%ADa%2F..%2Fx%26y%3D1>" in rendered.text
    )


def test_link_tags_still_make_links_and_unsafe_link_tags_do_not(tenant_a):
    rendered = _render("[Apply again]({{ reapply_url }})", "Ada")
    assert 'href="https://alpha.localhost/r/1"' in rendered.html
    assert "Apply again <https://alpha.localhost/r/1>" in rendered.text
    unsafe = _render("[Apply again]({{ reapply_url }})", "Ada", reapply_url="javascript:alert(1)")
    assert "javascript" not in unsafe.html and "javascript" not in unsafe.text


def test_values_in_text_positions_are_unchanged(tenant_a):
    rendered = _render(
        "Dear {{ first_name }}, see [our jobs](https://jobs.example.com)", "Zoë O'Neil"
    )
    assert "Dear Zoë O&#x27;Neil" in rendered.html
    assert 'href="https://jobs.example.com"' in rendered.html
    assert "Dear Zoë O'Neil" in rendered.text


def test_a_reference_definitions_target_is_a_link_position_in_the_text_part_too(tenant_a):
    # Found by the property test above: the text part kept "[ref]: <javascript:>" as typed.
    rendered = _render("[Click][ref]\n\n[ref]: {{ first_name }}", "<javascript:>")
    _check(rendered, "<javascript:>")
    assert "<javascript:>" not in rendered.text


def test_raw_html_links_read_as_text_links_and_their_targets_are_link_positions(tenant_a):
    # Found by the property test above: "\x1e<javascript:" in <a href="…"> stayed as typed in
    # the text part (a raw HTML attribute was not treated as a link position there).
    rendered = _render('<a href="{{ first_name }}">Click</a>', "\x1e<javascript:")
    _check(rendered, "\x1e<javascript:")
    assert "javascript" not in rendered.text and "<a " not in rendered.text
    ours = _render('<b>Hi</b> <a href="https://jobs.example.com/">Our jobs</a>', "Ada")
    assert ours.text.startswith("Hi Our jobs <https://jobs.example.com/>")
