"""English left on a translated page, found with the catalogues themselves: the literal pieces
of every msgid whose translation in that language is different (a word both languages write
the same, like "Dashboard" in Italian, is no leftover), as whole words."""

from __future__ import annotations

import re
from collections.abc import Iterable

from config.catalogues import CATALOGUES, Catalogue, read

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|<[^>]+>|\{\{[^}]*\}\}|\{\w+\}|&\w+;|\*\*|\[|\]\([^)]*\)")
_WORD = re.compile(r"[^\W\d_]{3,}")


def _flat(text: str) -> str:
    return " ".join(text.split())


def english_strings(language: str, catalogues: Iterable[Catalogue] = CATALOGUES) -> list[str]:
    pairs: list[tuple[str, str]] = []
    translations: set[str] = set()
    for catalogue in catalogues:
        if not catalogue.po_path(language).exists():
            continue
        for message in read(catalogue, language):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            strings = (
                message.string if isinstance(message.string, tuple | list) else (message.string,)
            )
            translations.update(_flat(s) for s in strings)
            pairs += [(_flat(i), _flat(s)) for i, s in zip(ids, strings, strict=False)]
    # Words of the language itself: French writes "Application" and "file" too.
    vocabulary = {word for text in translations for word in _WORD.findall(text)}
    found: set[str] = set()
    for english, translated in pairs:
        if english == translated:
            continue
        for piece in _PLACEHOLDER.split(english):
            piece = _flat(piece.strip(" .,:;·—-–()"))
            if (
                _WORD.search(piece)
                and len(piece) >= 3
                and piece not in translations
                # kept as is by the translation: a name ("Standard Webhooks"), a term
                and piece not in translated
                and not (" " not in piece and piece in vocabulary)
            ):
                found.add(piece)
    return sorted(found)


def leftovers(text: str, strings: Iterable[str], data: Iterable[str] = ()) -> list[str]:
    """The strings found in `text` once `data` (names, addresses, what the company typed: shown
    as they are) is taken out, whitespace compared flattened (a multi-line text the page wraps
    differently is still taken out)."""
    flat = _flat(text)
    for value in sorted({_flat(d) for d in data if d.strip()}, key=len, reverse=True):
        flat = flat.replace(value, " ")
    return [s for s in strings if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", flat)]
