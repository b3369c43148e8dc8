"""Finds text in a Django template that a reader would see but no translate tag wraps.

The template is read with Django's own lexer. Everything inside {% translate %},
{% blocktranslate %}…{% endblocktranslate %}, {% comment %}, {# #}, and every {{ variable }} and
{% tag %} is replaced by a neutral mark; the HTML that remains is parsed and what a reader meets
is checked for letters: text between tags (outside <script> and <style>), and the attributes a
browser shows or reads aloud (title, alt, placeholder, aria-label, data-confirm, the label of
an option, the value of a button). Quoted phrases inside tags and variables (`default:"No
name"`, `with title="Sign in"`) are checked too, unless marked with `_("…")`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

MARK = " \x00 "
SHOWN_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "data-confirm",
    "label",
}
BUTTON_TYPES = {"submit", "button", "reset"}
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_STRING = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'""")
_MARKUP = re.compile(r"\{\{.*?\}\}|<[^>]*>")
# Code, keyboard input and samples are the same in every language.
_NOT_TEXT_TAGS = {"script", "style", "code", "kbd", "samp"}


@dataclass(frozen=True)
class Untranslated:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _NOT_TEXT_TAGS:
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in SHOWN_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in BUTTON_TYPES
            )
            if shown and value:
                self.found.append((self.getpos()[0], value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _NOT_TEXT_TAGS:
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _NOT_TEXT_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append((self.getpos()[0], data))


def _phrases(contents: str, line: int) -> list[tuple[int, str]]:
    """Quoted strings holding a phrase (letters and a space) in a tag or variable, except the
    ones marked for translation with `_("…")`."""
    found = []
    for match in _STRING.finditer(contents):
        value = match.group(1) if match.group(1) is not None else match.group(2)
        marked = contents[: match.start()].endswith("_(")
        words = _MARKUP.sub(" ", value)
        if not marked and " " in words.strip() and _LETTERS.search(words):
            found.append((line, value))
    return found


def _neutral(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template with every Django construct replaced by MARK (newlines kept, so line
    numbers hold), and the quoted phrases found inside tags and variables."""
    out: list[str] = []
    phrases: list[tuple[int, str]] = []
    translating = 0
    commenting = 0
    for token in Lexer(source).tokenize():
        text = token.contents
        newlines = "\n" * text.count("\n") if isinstance(text, str) else ""
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name == "comment":
                commenting += 1
            elif name == "endcomment":
                commenting = max(0, commenting - 1)
            elif name in ("blocktranslate", "blocktrans"):
                translating += 1
            elif name in ("endblocktranslate", "endblocktrans"):
                translating = max(0, translating - 1)
            elif not commenting and not translating and name not in ("translate", "trans"):
                phrases += _phrases(token.contents, token.lineno)
            out.append(MARK + newlines)
        elif token.token_type == TokenType.VAR:
            if not commenting and not translating:
                phrases += _phrases(token.contents, token.lineno)
            out.append(MARK + newlines)
        elif token.token_type == TokenType.TEXT and not commenting and not translating:
            out.append(token.contents)
        else:
            out.append(MARK + "\n" * token.contents.count("\n"))
    return "".join(out), phrases


def untranslated(
    path: Path, *, allowed: Iterable[str] = (), root: Path | None = None
) -> list[Untranslated]:
    """Visible text of the template at `path` that no translate tag covers. `allowed` holds
    words that are the same in every language (brand names, acronyms), matched whole."""
    source = path.read_text(encoding="utf-8")
    html, phrases = _neutral(source)
    parser = _Visible()
    parser.feed(html)
    parser.close()
    keep = [re.compile(rf"(?<!\w){re.escape(word)}(?!\w)") for word in allowed]
    name = str(path.relative_to(root)) if root else str(path)
    found = []
    for line, text in parser.found + phrases:
        rest = text.replace("\x00", " ")
        for word in keep:
            rest = word.sub(" ", rest)
        if _LETTERS.search(rest):
            found.append(Untranslated(name, line, " ".join(text.replace("\x00", "…").split())))
    return found
