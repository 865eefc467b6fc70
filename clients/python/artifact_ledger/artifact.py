"""Artifacts for a JSON commit: a name and exactly one of json, text or bytes, hashed as the server stores them."""
from __future__ import annotations

import base64
import hashlib
import json as _json
import mimetypes
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from .jcs import RawJSON, canonical_json

StrPath = Union[str, os.PathLike[str]]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Default of Artifact.json: ``json=None`` means JSON null, so absence needs its own marker."""

_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".csv", ".tsv", ".log", ".yaml", ".yml",
                            ".toml", ".ini", ".html", ".htm", ".xml", ".rst", ".tex", ".jsonl", ".ndjson"})


@dataclass(frozen=True)
class Artifact:
    """One artifact of a commit: a name and exactly one of ``json``, ``text`` or ``data`` (bytes).

    The server stores ``json`` in its RFC 8785 canonical form, ``text`` as UTF-8 and ``data`` as is;
    ``media_type`` defaults on the server to application/json, text/plain; charset=utf-8 and
    application/octet-stream respectively.
    """

    name: str
    json: Any = MISSING
    text: Optional[str] = None
    data: Optional[bytes] = None
    media_type: Optional[str] = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"artifact name must be str, not {type(self.name).__name__}")
        given = [kind for kind, present in (("json", self.json is not MISSING), ("text", self.text is not None),
                                            ("data", self.data is not None)) if present]
        if len(given) != 1:
            raise ValueError(f"artifact {self.name!r} needs exactly one of json, text or data "
                             f"(has {', '.join(given) or 'none'})")
        if self.text is not None and not isinstance(self.text, str):
            raise TypeError(f"artifact {self.name!r}: text must be str, not {type(self.text).__name__}")
        if self.data is not None and not isinstance(self.data, bytes):
            if not isinstance(self.data, (bytearray, memoryview)):
                raise TypeError(f"artifact {self.name!r}: data must be bytes, not {type(self.data).__name__}")
            object.__setattr__(self, "data", bytes(self.data))

    @classmethod
    def from_json(cls, name: str, value: Any, media_type: Optional[str] = None) -> "Artifact":
        return cls(name, json=value, media_type=media_type)

    @classmethod
    def from_text(cls, name: str, text: str, media_type: Optional[str] = None) -> "Artifact":
        return cls(name, text=text, media_type=media_type)

    @classmethod
    def from_bytes(cls, name: str, data: Union[bytes, bytearray, memoryview],
                   media_type: Optional[str] = None) -> "Artifact":
        return cls(name, data=bytes(data), media_type=media_type)

    @classmethod
    def from_file(cls, name: str, path: StrPath, media_type: Optional[str] = None) -> "Artifact":
        """Reads a whole file (use LedgerClient.put_file for large ones) and picks its kind by suffix:

        - ``.json`` that is UTF-8 and parses as JSON -> ``json`` (stored canonicalized, not as written);
        - a text suffix (.txt, .md, .csv, .log, .yaml, .html, .xml, ...) that decodes as UTF-8 -> ``text``;
        - anything else -> ``data`` (sent base64, stored byte for byte), media type guessed from the name.
        """
        raw = read_file(path)
        filename: str = os.fspath(path)
        suffix = os.path.splitext(filename)[1].lower()
        if suffix == ".json":
            try:
                value = _json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
                canonical_json(value)
                return cls(name, json=value, media_type=media_type)
            except (ValueError, TypeError):
                pass  # not canonicalizable JSON: keep the exact bytes instead
        elif suffix in _TEXT_SUFFIXES:
            try:
                return cls(name, text=raw.decode("utf-8"), media_type=media_type)
            except UnicodeDecodeError:
                pass
        guessed = mimetypes.guess_type(filename)[0] if media_type is None else media_type
        return cls(name, data=raw, media_type=guessed)

    def stored_bytes(self) -> bytes:
        """The exact bytes the server will store (and hash) for this artifact."""
        if self.json is not MISSING:
            return canonical_json(self.json).encode("utf-8")
        if self.text is not None:
            try:
                return self.text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise ValueError(f"artifact {self.name!r}: text has a lone surrogate") from error
        assert self.data is not None
        return self.data

    def sha256(self) -> str:
        return hashlib.sha256(self.stored_bytes()).hexdigest()

    def _wire(self) -> Tuple[Dict[str, Any], str, int]:
        """The request member, and the sha256 and size the commit record must echo."""
        stored = self.stored_bytes()
        digest = hashlib.sha256(stored).hexdigest()
        member: Dict[str, Any] = {"name": self.name}
        if self.json is not MISSING:
            member["json"] = RawJSON(stored.decode("utf-8"))
        elif self.text is not None:
            member["text"] = self.text
        else:
            member["base64"] = base64.b64encode(stored).decode("ascii")
        if self.media_type is not None:
            member["mediaType"] = self.media_type
        member["sha256"] = digest
        return member, digest, len(stored)


def read_file(path: StrPath) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def name_list(field: str, names: Iterable[str]) -> List[str]:
    """Artifact names as a list; one bare string would otherwise be sent as its characters."""
    if isinstance(names, str):
        raise TypeError(f"{field} is a list of names, not one string")
    return list(names)
