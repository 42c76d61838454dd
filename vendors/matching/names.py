"""Normalise raw vendor/product strings so inventory spellings meet the catalogue.

``normalize_name`` is deterministic and idempotent.  Steps:

1. drop ™ ® © ℠ and their ASCII stand-ins ``(tm)``, ``(r)``, ``(c)``, ``(sm)``;
2. NFKC + casefold (so ``Ｍｉｃｒｏｓｏｆｔ`` and ``MICROSOFT`` agree);
3. ``&`` becomes ``and``, apostrophes vanish (``McAfee's`` -> ``mcafees``), and
   every other character that is not a letter, digit, combining mark, ``+`` or
   ``#`` becomes a space (``+``/``#`` survive for ``C++``, ``Notepad++``, ``C#``);
4. whitespace is collapsed;
5. legal forms are removed, repeatedly, but only at the edges and never the
   last remaining word: trailing ``inc``, ``ltd``, ``llc``, ``gmbh``, ``ag``,
   ``co``, ``& co``, ``corp``, ``plc``, ``s p a``, ``sa``, ``limited`` ... and a leading
   ``ao``/``ooo``/``pao``/``zao``/``oao``/``jsc`` ... (Latin or Cyrillic)
   followed by more words, as in ``AO Kaspersky Lab``.

Decisions: descriptive words such as ``lab``, ``labs``, ``group``,
``holdings``, ``technologies`` or ``software`` are part of the brand and are
kept, so ``Kaspersky Lab`` stays ``kaspersky lab`` and ``NCC Group`` stays
``ncc group``.  ``se`` and ``as`` are not treated as legal forms because they
also end product names (``iPhone SE``).  Product names should be normalised
with ``legal_forms=False``: a trailing ``co`` or ``ag`` there is part of the
name, not a company form.
"""

from __future__ import annotations

import re
import unicodedata

_MARKS_RE = re.compile(r"[\u2122\u00ae\u00a9\u2120]|\((?:tm|r|c|sm)\)", re.IGNORECASE)
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`\u00b4")
_KEPT_SYMBOLS = frozenset("+#")
_MAX_PASSES = 5

# Longest first, so "and co" (from "& Co.") wins over "co".
TRAILING_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(form.split())
            for form in (
                "inc",
                "incorporated",
                "ltd",
                "limited",
                "llc",
                "l l c",
                "llp",
                "gmbh",
                "ag",
                "kg",
                "ao",
                "jsc",
                "pjsc",
                "co",
                "corp",
                "corporation",
                "plc",
                "spa",
                "s p a",
                "sa",
                "s a",
                "sas",
                "s a s",
                "sarl",
                "srl",
                "s r l",
                "bv",
                "b v",
                "nv",
                "n v",
                "ab",
                "asa",
                "oy",
                "oyj",
                "kk",
                "k k",
                "pty",
                "pte",
                "pvt",
                "and co",
            )
        ),
        key=len,
        reverse=True,
    )
)
LEADING_LEGAL_FORMS = frozenset(
    {
        "ao",
        "ooo",
        "oao",
        "pao",
        "zao",
        "jsc",
        "pjsc",
        "ojsc",
        "cjsc",
        "\u0430\u043e",  # АО (Cyrillic)
        "\u043e\u043e\u043e",  # ООО
        "\u043e\u0430\u043e",  # ОАО
        "\u043f\u0430\u043e",  # ПАО
        "\u0437\u0430\u043e",  # ЗАО
    }
)


def normalize_name(text: str, *, legal_forms: bool = True) -> str:
    """Normalise a vendor or product name for catalogue lookups (see module docstring)."""
    normalized = text
    # Repeat the character-level pass until stable: NFKC and casefold do not
    # always commute, and idempotence is what makes stored keys trustworthy.
    for _ in range(_MAX_PASSES):
        cleaned = _clean_characters(normalized)
        if cleaned == normalized:
            break
        normalized = cleaned
    tokens = normalized.split()
    if legal_forms:
        tokens = _strip_legal_forms(tokens)
    return " ".join(tokens)


def _clean_characters(text: str) -> str:
    text = _MARKS_RE.sub(" ", text)
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = text.replace("&", " and ").translate(_APOSTROPHES)
    kept = "".join(char if _is_word_char(char) else " " for char in text)
    return " ".join(kept.split())


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in _KEPT_SYMBOLS or unicodedata.category(char).startswith("M")


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    changed = True
    while changed:
        changed = False
        for form in TRAILING_LEGAL_FORMS:
            if len(tokens) > len(form) and tuple(tokens[-len(form) :]) == form:
                tokens = tokens[: -len(form)]
                changed = True
                break
        if len(tokens) > 1 and tokens[0] in LEADING_LEGAL_FORMS:
            tokens = tokens[1:]
            changed = True
    return tokens
