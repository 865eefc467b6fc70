"""Reading the server's JSON answers into typed values: a field the client relies on that is missing or of
another type is a ContractMismatch naming it; fields it does not know are left alone (a newer server may add some)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar, Union, cast

from .errors import ContractMismatch

T = TypeVar("T")

# RFC 3339 as the server writes it (toISOString: milliseconds and Z), read however many fraction digits come.
_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


def parse_time(text: str) -> datetime:
    """An RFC 3339 date-time as a timezone-aware datetime (Python 3.9 and 3.10 fromisoformat reads no ``Z``)."""
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time")
    day, clock, fraction, zone = match.groups()
    micros = (fraction or "0")[:6].ljust(6, "0")
    offset = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(f"{day}T{clock}.{micros}{offset}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


class Fields:
    """One JSON object of an answer, read field by field; `where` names it in errors (``session.artifacts[2]``)."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise ContractMismatch(f"{where} is {_json_type(value)}, expected an object")
        self.raw: Dict[str, Any] = cast("Dict[str, Any]", value)
        self.where = where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}"

    def _get(self, key: str) -> Any:
        if key not in self.raw:
            raise ContractMismatch(f"{self._path(key)} is missing")
        return self.raw[key]

    def _wrong(self, key: str, value: Any, expected: str) -> ContractMismatch:
        return ContractMismatch(f"{self._path(key)} is {_json_type(value)}, expected {expected}")

    def has(self, key: str) -> bool:
        return key in self.raw

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, value, "a string")
        return value

    def text_or_none(self, key: str) -> Optional[str]:
        """A nullable string: the field must be present, its value may be null."""
        return None if self._get(key) is None else self.text(key)

    def text_if_present(self, key: str) -> Optional[str]:
        """A string the server sends only sometimes."""
        return self.text_or_none(key) if key in self.raw else None

    def integer(self, key: str) -> int:
        value = self._get(key)
        # JSON has one number type: 3.0 is an integer, True is not.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, value, "an integer")
        return value

    def integer_or_none(self, key: str) -> Optional[int]:
        return None if self._get(key) is None else self.integer(key)

    def number_or_text(self, key: str) -> Union[int, float, str, None]:
        """A value the server sends as a number or a string, when it sends it at all."""
        value = self.raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
            raise self._wrong(key, value, "a number or a string")
        return cast("Union[int, float, str, None]", value)

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._wrong(key, value, "a boolean")
        return value

    def time(self, key: str) -> datetime:
        text = self.text(key)
        try:
            return parse_time(text)
        except ValueError as error:
            raise ContractMismatch(f"{self._path(key)} is {text!r}, expected an RFC 3339 date-time") from error

    def time_or_none(self, key: str) -> Optional[datetime]:
        return None if self._get(key) is None else self.time(key)

    def names(self, key: str) -> Tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in cast("List[Any]", value)):
            raise self._wrong(key, value, "an array of strings")
        return tuple(cast("List[str]", value))

    def mapping_or_none(self, key: str) -> Optional[Dict[str, Any]]:
        value = self._get(key)
        if value is not None and not isinstance(value, dict):
            raise self._wrong(key, value, "an object or null")
        return cast("Optional[Dict[str, Any]]", value)

    def one(self, key: str, parse: Callable[["Fields"], T]) -> T:
        return parse(Fields(self._get(key), self._path(key)))

    def one_or_none(self, key: str, parse: Callable[["Fields"], T]) -> Optional[T]:
        return None if self._get(key) is None else self.one(key, parse)

    def each(self, key: str, parse: Callable[["Fields"], T]) -> Tuple[T, ...]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, value, "an array")
        return tuple(parse(Fields(item, f"{self._path(key)}[{i}]")) for i, item in enumerate(cast("List[Any]", value)))
