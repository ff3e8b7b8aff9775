"""botocore's ``pattern`` strings as Python matchers.

botocore copies the patterns of AWS's (Java) service models as they are: unanchored (AWS matches the whole
value), sometimes with Java-only syntax that Python's ``re`` cannot compile. This module translates what it
can translate exactly and refuses the rest (the caller logs a note and skips the check; it never guesses):

- ``\\p{Alnum}`` (Java: ASCII letters and digits) becomes ``A-Za-z0-9`` inside a character class.
- A UTF-16 surrogate-pair range such as ``\\uD800\\uDC00-\\uDBFF\\uDFFF`` (Java matches it on code points)
  becomes the code-point range ``\\U00010000-\\U0010FFFF``.
- A pattern that is one character class holding Unicode categories (``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``,
  the tag key/value patterns), optionally in a group, with ``*``, ``+`` or ``{m,n}``, is matched character
  by character with ``unicodedata.category``.

Java's ``\\w``, ``\\d`` and ``\\s`` are ASCII; the patterns are compiled with ``re.ASCII`` to match that.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Callable

log = logging.getLogger(__name__)

Matcher = Callable[[str], bool]

_SURROGATE_RANGE = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})-\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})",
                              re.IGNORECASE)
_CATEGORY_CLASS = re.compile(r"^\(?\[((?:\\p\{[A-Za-z]+\}|\\.|[^\\\]])*)\]([*+]|\{\d+(?:,\d*)?\})?\)?$")


class Untranslatable(ValueError):
    """A pattern that Python cannot match exactly as AWS does."""


def _pair(hi: str, lo: str) -> int:
    return 0x10000 + ((int(hi, 16) - 0xD800) << 10) + (int(lo, 16) - 0xDC00)


def _surrogates(pattern: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return f"\\U{_pair(m[1], m[2]):08X}-\\U{_pair(m[3], m[4]):08X}"

    return _SURROGATE_RANGE.sub(repl, pattern)


def _category_matcher(pattern: str) -> Matcher | None:
    """``[\\p{L}\\p{N}_.-]*``-like patterns: one class of categories and literals, matched per character."""
    m = _CATEGORY_CLASS.match(pattern)
    if not m:
        return None
    body, quant = m[1], m[2] or ""
    cats = set(re.findall(r"\\p\{([A-Za-z]+)\}", body))
    if not cats or any(len(c) != 1 and c != "Alnum" for c in cats):
        return None
    rest = re.sub(r"\\p\{[A-Za-z]+\}", "", body)
    try:
        literal = re.compile(f"[{rest}]", re.ASCII) if rest else None
    except re.error:
        return None
    majors = {c for c in cats if len(c) == 1}
    alnum = "Alnum" in cats
    lo, hi = 0, None
    if quant == "+":
        lo = 1
    elif quant.startswith("{"):
        parts = quant[1:-1].split(",")
        lo = int(parts[0])
        hi = lo if len(parts) == 1 else (int(parts[1]) if parts[1] else None)
    elif quant == "":
        lo = hi = 1

    def match(value: str) -> bool:
        if len(value) < lo or (hi is not None and len(value) > hi):
            return False
        for ch in value:
            if unicodedata.category(ch)[0] in majors:
                continue
            if alnum and ch.isascii() and ch.isalnum():
                continue
            if literal is not None and literal.fullmatch(ch):
                continue
            return False
        return True

    return match


@functools.cache
def matcher(pattern: str) -> Matcher:
    """A function telling whether a whole value matches ``pattern``; raises Untranslatable."""
    translated = _surrogates(pattern).replace(r"\p{Alnum}", "A-Za-z0-9")
    if r"\p{" in translated or r"\P{" in translated:
        by_category = _category_matcher(translated)
        if by_category is None:
            raise Untranslatable(f"Java Unicode classes outside a single character class: {pattern!r}")
        return by_category
    if re.search(r"\$\{\d", translated):  # e.g. '(...)${1,128}': a quantifier after an anchor (a model typo)
        raise Untranslatable(f"quantifier after '$' in {pattern!r}")
    try:
        compiled = re.compile(translated, re.ASCII)
    except re.error as e:
        raise Untranslatable(f"{pattern!r}: {e}") from None
    return lambda value: compiled.fullmatch(value) is not None


@functools.cache
def try_matcher(pattern: str) -> Matcher | None:
    """``matcher(pattern)``, or None (with one logged note per pattern) when it cannot be translated."""
    try:
        return matcher(pattern)
    except Untranslatable as e:
        log.info("awsmodel: pattern not checked (cannot translate it exactly): %s", e)
        return None
