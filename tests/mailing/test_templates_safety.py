from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mailing.merge import find_tags, validate_merge_tags
from mailing.rendering import render_email

ALLOWED = ("first_name", "position_title", "optin_url")


@pytest.mark.parametrize(
    "source",
    [
        "{{ settings.SECRET_KEY }}",
        "{% debug %}",
        "{{ ''.__class__ }}",
        "{{ first_name|upper }}",
        "{{ first_name }",
        "{# comment #}",
        "{{ request }}",
        "{{ __class__ }}",
        "{{{ first_name }}}",
    ],
)
def test_hostile_or_malformed_sources_are_refused(source):
    with pytest.raises(ValidationError):
        validate_merge_tags(source, ALLOWED)


def test_the_error_names_the_unknown_and_malformed_tags():
    with pytest.raises(ValidationError) as exc:
        validate_merge_tags("Hi {{ nickname }} {{ settings.SECRET_KEY }}", ALLOWED)
    text = " ".join(exc.value.messages)
    assert "{{ nickname }}" in text
    assert "{{ settings.SECRET_KEY }}" in text
    assert "{{ first_name }}" in text  # tells the author what is allowed


@pytest.mark.parametrize(
    ("source", "tags"),
    [
        ("Hello {{ first_name }}, about {{position_title}}", ["first_name", "position_title"]),
        ("{{first_name}}{{ first_name }}\n[Yes]({{   optin_url   }})", ["first_name", "optin_url"]),
        ("No tags, {single braces} and a } alone", []),
    ],
)
def test_allowed_tags_pass_and_each_one_is_checked(source, tags):
    validate_merge_tags(source, ALLOWED)  # accepted: raises nothing
    assert find_tags(source) == tags
    # The same text is refused, naming the tag, as soon as one of its tags is not allowed.
    for tag in tags:
        with pytest.raises(ValidationError) as exc:
            validate_merge_tags(source, [t for t in ALLOWED if t != tag])
        assert exc.value.messages[0].startswith(f"Unknown merge tags: {{{{ {tag} }}}}.")


def test_values_are_escaped_and_never_interpreted(tenant_a):
    rendered = render_email(
        subject_source="Hello {{ first_name }}",
        body_source="Dear **{{ first_name }}**, [confirm]({{ optin_url }})\n\n<script>x()</script>",
        context={
            "first_name": "<img src=x onerror=alert(1)> *bold* {{ optin_url }}",
            "optin_url": "javascript:alert(1)",
        },
        allowed_tags=ALLOWED,
    )
    assert "<img" not in rendered.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered.html
    assert "<em>bold</em>" not in rendered.html
    assert "javascript:" not in rendered.html
    assert "<script>" not in rendered.html
    # A value that looks like a tag is not expanded a second time.
    assert "{{ optin_url }}" in rendered.text


def test_newlines_in_values_never_reach_the_subject(tenant_a):
    rendered = render_email(
        subject_source="Hello {{ first_name }}",
        body_source="Hi",
        context={"first_name": "Ada\r\nBcc: victim@example.com"},
        allowed_tags=ALLOWED,
    )
    assert "\n" not in rendered.subject and "\r" not in rendered.subject


def test_line_breaks_typed_in_a_value_stay_line_breaks_and_stay_escaped(tenant_a):
    rendered = render_email(
        subject_source="Hello {{ first_name }}",
        body_source="Dear {{ first_name }},\n\n{{ first_name }}",
        context={"first_name": "Your SQL was strong.\r\n<b>Practise</b> system design."},
        allowed_tags=ALLOWED,
    )
    assert "Your SQL was strong.<br>\n&lt;b&gt;Practise&lt;/b&gt; system design." in rendered.html
    assert "Your SQL was strong.\n<b>Practise</b> system design." in rendered.text
    assert "\n" not in rendered.subject


def test_a_link_value_with_whitespace_is_dropped(tenant_a):
    rendered = render_email(
        subject_source="Hi",
        body_source="[confirm]({{ optin_url }})",
        context={"optin_url": "https://example.com/\njavascript:alert(1)"},
        allowed_tags=ALLOWED,
    )
    assert "javascript:" not in rendered.html and "example.com/" not in rendered.html


def test_branded_layout_with_footer_links_and_inlined_css(tenant_a):
    tenant = tenant_a.tenant
    tenant.postal_address = "1 Rue de la Paix\n75002 Paris"
    tenant.privacy_policy_url = "https://alpha.example/privacy"
    tenant.primary_colour = "#aa3300"
    rendered = render_email(
        subject_source="Hi",
        body_source="Hello {{ first_name }}",
        context={"first_name": "Ada"},
        allowed_tags=ALLOWED,
        tenant=tenant,
        unsubscribe_url="https://alpha.localhost/c/u/abc",
        preferences_url="https://alpha.localhost/c/p/abc",
    )
    html = rendered.html
    assert "1 Rue de la Paix" in html and "75002 Paris" in html
    assert 'href="https://alpha.example/privacy"' in html
    assert 'href="https://alpha.localhost/c/u/abc"' in html
    assert 'href="https://alpha.localhost/c/p/abc"' in html
    assert 'style="' in html and "#aa3300" in html  # CSS inlined with the brand colour
    assert "@media" in html  # responsive rules kept for clients that honour them
    assert "Hello Ada" in rendered.text
    assert "Unsubscribe: https://alpha.localhost/c/u/abc" in rendered.text
    assert "75002 Paris" in rendered.text


def test_every_kind_of_line_break_in_a_value_is_a_line_break_and_spaces_trail_off(tenant_a):
    for br in ("\n", "\r", "\u2028", "\x0b", "\x85"):
        rendered = render_email(
            subject_source="{{ first_name }} and {{ position_title }}!",
            body_source="Note: {{ first_name }}",
            context={"first_name": f"one  {br}two & <three>  ", "position_title": " Dev\tOps "},
            allowed_tags=ALLOWED,
        )
        assert "one  <br>\ntwo &amp; &lt;three&gt;  " in rendered.html
        assert "Note: one\ntwo & <three>" in rendered.text
        assert rendered.subject == "one two & <three> and Dev Ops!"


def test_a_refused_source_is_refused_every_time_it_is_rendered(tenant_a):
    for _ in range(2):
        render_email(
            subject_source="Hi", body_source="{{ first_name }}", context={}, allowed_tags=ALLOWED
        )
        with pytest.raises(ValidationError):
            render_email(
                subject_source="Hi", body_source="{{ first_name }}", context={}, allowed_tags=()
            )
