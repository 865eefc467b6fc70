"""RFC 8785 (JCS) canonical JSON: what the server stores for `json` artifacts, byte for byte."""
from __future__ import annotations

import json as _json
from decimal import Decimal
from typing import Any, Iterable, List, Mapping, Sequence, cast

_MAX_JSON_DEPTH = 512


def format_number(value: float) -> str:
    """A number as ECMAScript's Number.prototype.toString writes it (RFC 8785 section 3.2.2.3)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} has no JSON form")
    if value == 0:
        return "0"  # -0 too
    if value < 0:
        return "-" + format_number(-value)
    # repr() gives the shortest digits that round-trip (closest on ties), as ECMAScript requires.
    _, digit_tuple, exponent_value = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent_value, int)  # finite, so never 'n', 'N' or 'F'
    exponent = exponent_value
    digits = list(digit_tuple)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    text = "".join(str(d) for d in digits)
    k = len(text)
    n = exponent + k  # value = 0.<text> * 10**n
    if k <= n <= 21:
        return text + "0" * (n - k)
    if 0 < n <= 21:
        return text[:n] + "." + text[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + text
    e = n - 1
    mantissa = text if k == 1 else text[0] + "." + text[1:]
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _utf16_key(key: str) -> bytes:
    try:
        return key.encode("utf-16-be")  # big-endian bytes compare like UTF-16 code units
    except UnicodeEncodeError as error:
        raise ValueError(f"object key {key!r} has a lone surrogate: it has no JSON form") from error


def _string(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"string {value!r} has a lone surrogate: it has no JSON form") from error
    # Escapes exactly what JSON.stringify escapes: quote, backslash, controls (\b\f\n\r\t, else \u00xx).
    return _json.dumps(value, ensure_ascii=False)


class RawJSON:
    """Already-canonical JSON text, spliced into a request body without serializing it twice."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _write_canonical(value: Any, out: List[str], depth: int) -> None:
    if depth > _MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested more than {_MAX_JSON_DEPTH} levels deep")
    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        try:
            number = float(value)  # the server reads every JSON number as a double
        except OverflowError as error:
            raise ValueError(f"integer {value} is too large for a JSON number (a double)") from error
        out.append(format_number(number))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, RawJSON):
        out.append(value.text)
    elif isinstance(value, Mapping):
        mapping = cast("Mapping[Any, Any]", value)
        for key in mapping:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__} ({key!r})")
        out.append("{")
        for i, key in enumerate(sorted(cast("Iterable[str]", mapping), key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write_canonical(mapping[key], out, depth + 1)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(cast("Sequence[Any]", value)):
            if i:
                out.append(",")
            _write_canonical(item, out, depth + 1)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")


def canonical_json(value: Any) -> str:
    """The RFC 8785 (JCS) text of a JSON value: sorted keys, no spaces, ECMAScript numbers.

    Python ints are converted to doubles first, as the server parses them. NaN, Infinity, ints beyond
    the double range and strings with lone surrogates raise ValueError; other types raise TypeError.
    """
    out: List[str] = []
    _write_canonical(value, out, 0)
    return "".join(out)
