"""A standard-library-only Python client for artifact-ledger.

Every write is verified: a commit or upload returns only once the server answered 201 *and* the
commit record carries the sha256 and size this client computed locally; reads are hashed and checked
against the ``ETag`` / ``Repr-Digest`` the server sent. Commits and uploads carry one
``Idempotency-Key`` per call, reused on every retry, so a retried commit is applied exactly once;
adding expected names and closing a session change nothing when repeated, so they are retried as
they are.

Usage::

    from datetime import datetime, timedelta, timezone
    from artifact_ledger import Artifact, LedgerClient, LedgerProblem

    client = LedgerClient()  # ARTIFACT_LEDGER_URL, ARTIFACT_LEDGER_TOKEN
    # If this process dies before complete(), the service closes the session at the deadline.
    client.open_session("run-42", deadline=datetime.now(timezone.utc) + timedelta(hours=6))
    client.expect("run-42", ["quality_metrics.json", "summary.txt"])  # atomic add
    try:
        record = client.commit("run-42", [
            Artifact.from_json("quality_metrics.json", {"score": 0.93, "tokens": 18234}),
            Artifact.from_text("summary.txt", "all good"),
        ], message="final metrics")
        client.put_file("run-42", "checkpoints/model.bin", "model.bin")   # streamed from disk
    except Exception as error:
        client.fail("run-42", error)  # state "failed", error {"type", "message"}
        raise
    assert client.get("run-42", "summary.txt") == b"all good"
    session = client.complete("run-42")
    if session["state"] != "complete":
        raise SystemExit(f"run-42 is missing {session['missing']}")

Python 3.9+, no dependencies: copy this one file next to your code.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json as _json
import logging
import mimetypes
import os
import random
import re
import socket
import ssl
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import IO, Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union, cast
from urllib.parse import quote, urlencode, urlsplit

__all__ = [
    "Artifact",
    "DigestMismatch",
    "LedgerClient",
    "LedgerError",
    "LedgerProblem",
    "LedgerUnavailable",
    "canonical_json",
    "format_number",
]

__version__ = "0.1.0"

DEFAULT_URL = "http://127.0.0.1:8080"
URL_ENV = "ARTIFACT_LEDGER_URL"
TOKEN_ENV = "ARTIFACT_LEDGER_TOKEN"

#: Statuses worth another attempt: faults, overload, not ready. 507 (disk full) and other 4xx are final.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: A server's Retry-After is honoured up to this many times backoff_cap (as the TypeScript client does).
RETRY_AFTER_CAP_FACTOR = 4

CHUNK_SIZE = 1 << 20
_MAX_JSON_DEPTH = 512
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

logger = logging.getLogger("artifact_ledger")

Progress = Callable[[int, int], None]
StrPath = Union[str, os.PathLike[str]]
PathOrFile = Union[str, os.PathLike[str], IO[bytes]]
#: A timezone-aware datetime, or RFC 3339 text with a zone such as ``2026-12-05T18:00:00Z``.
Deadline = Union[datetime, str]
#: What a writer reports when it failed: the exception it caught, or ``(type, message)``.
FailureReport = Union[BaseException, Tuple[str, str]]

# The server's limits on a reported failure (CompleteRequest in openapi.yaml).
_ERROR_TYPE_MAX = 256
_ERROR_MESSAGE_MAX = 65_536


# ---------------------------------------------------------------------------------------------
# Errors: every failure is raised with what the server said; nothing is turned into a return value.

class LedgerError(Exception):
    """Base class of every error this client raises."""


class LedgerProblem(LedgerError):
    """The server answered with an error status (RFC 9457 problem details when it sent them)."""

    def __init__(self, status: int, problem: Mapping[str, Any], *, method: str = "", url: str = "",
                 text: str = "", reason: str = "", attempts: int = 1) -> None:
        self.status: int = status
        self.problem: Dict[str, Any] = dict(problem)
        code = self.problem.get("code")
        self.code: Optional[str] = code if isinstance(code, str) else None
        title = self.problem.get("title")
        self.title: str = title if isinstance(title, str) else reason
        detail = self.problem.get("detail")
        self.detail: str = detail if isinstance(detail, str) else text
        self.method = method
        self.url = url
        self.attempts: int = attempts
        super().__init__(str(self))

    @property
    def field(self) -> Optional[str]:
        """The request field the server blamed, when it named one."""
        value = self.problem.get("field")
        return value if isinstance(value, str) else None

    @property
    def commit_id(self) -> Optional[str]:
        """The `failed` commit the server recorded for this request, if any."""
        value = self.problem.get("commitId")
        return value if isinstance(value, str) else None

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method else ""
        return f"{self.status} {self.code or self.title or 'error'}: {self.detail}{where}"


class LedgerUnavailable(LedgerError):
    """No answer from the server after every attempt; the last network error is the __cause__."""

    def __init__(self, message: str, *, attempts: int, method: str, url: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.method = method
        self.url = url


class DigestMismatch(LedgerError):
    """Bytes or a commit record did not carry the sha256 (or size) they should have."""

    def __init__(self, message: str, *, name: Optional[str] = None, expected: Optional[str] = None,
                 actual: Optional[str] = None) -> None:
        super().__init__(message)
        self.name = name
        self.expected = expected
        self.actual = actual


class _NetworkError(Exception):
    """Internal: a socket-level failure of one attempt; most are worth a retry."""

    def __init__(self, cause: BaseException, retryable: bool = True) -> None:
        super().__init__(repr(cause))
        self.cause = cause
        self.retryable = retryable


def _net(fn: Callable[..., Any], *args: Any) -> Any:
    """Runs one network operation; socket and protocol failures become _NetworkError.

    A host name that does not resolve (other than a temporary DNS failure) and a certificate that does
    not verify will not change by retrying. Local file errors never pass through here, so a missing or
    unreadable file is never retried.
    """
    try:
        return fn(*args)
    except ssl.SSLCertVerificationError as error:
        raise _NetworkError(error, retryable=False) from error
    except socket.gaierror as error:
        raise _NetworkError(error, retryable=error.errno == socket.EAI_AGAIN) from error
    except (OSError, http.client.HTTPException) as error:
        raise _NetworkError(error) from error


# ---------------------------------------------------------------------------------------------
# RFC 8785 (JCS) canonical JSON: what the server stores for `json` artifacts, byte for byte.

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


class _RawJSON:
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
    elif isinstance(value, _RawJSON):
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


# ---------------------------------------------------------------------------------------------
# Artifacts for a JSON commit.

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
        raw = _read_file(path)
        filename: str = os.fspath(path)
        suffix = os.path.splitext(filename)[1].lower()
        if suffix == ".json":
            try:
                value = _json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
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
            member["json"] = _RawJSON(stored.decode("utf-8"))
        elif self.text is not None:
            member["text"] = self.text
        else:
            member["base64"] = base64.b64encode(stored).decode("ascii")
        if self.media_type is not None:
            member["mediaType"] = self.media_type
        member["sha256"] = digest
        return member, digest, len(stored)


def _read_file(path: StrPath) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


# ---------------------------------------------------------------------------------------------
# Request bodies and response sinks.

class _FileSource:
    """A file to upload, read once to hash and again (from the start) for every attempt."""

    def __init__(self, path_or_fileobj: PathOrFile) -> None:
        if isinstance(path_or_fileobj, (str, os.PathLike)):
            self.path: Optional[str] = os.fspath(path_or_fileobj)
            self.fileobj: Optional[IO[bytes]] = None
            self.start = 0
            self.label = self.path
        else:
            fileobj = path_or_fileobj
            if not callable(getattr(fileobj, "read", None)) or not callable(getattr(fileobj, "seek", None)):
                raise TypeError("put_file needs a path or a binary file object with read() and seek()")
            seekable = getattr(fileobj, "seekable", None)
            if callable(seekable) and not seekable():
                raise ValueError("put_file needs a seekable file object: it is read once to hash it, "
                                 "and again for every attempt")
            self.path = None
            self.fileobj = fileobj
            self.start = fileobj.tell()
            self.label = str(getattr(fileobj, "name", "file object"))

    def _open(self) -> IO[bytes]:
        if self.path is not None:
            return open(self.path, "rb")
        assert self.fileobj is not None
        self.fileobj.seek(self.start)
        return self.fileobj

    def _close(self, handle: IO[bytes]) -> None:
        if self.path is not None:
            handle.close()

    def _read(self, handle: IO[bytes], size: int) -> bytes:
        chunk = handle.read(size)
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(f"{self.label}: read() returned {type(chunk).__name__}; open the file in binary mode")
        return bytes(chunk)

    def digest(self) -> Tuple[bytes, int]:
        """SHA-256 and size, by one streaming pass."""
        hasher = hashlib.sha256()
        size = 0
        handle = self._open()
        try:
            while True:
                chunk = self._read(handle, CHUNK_SIZE)
                if not chunk:
                    break
                hasher.update(chunk)
                size += len(chunk)
        finally:
            self._close(handle)
        return hasher.digest(), size


class _StreamBody:
    """Sends exactly `size` bytes of a _FileSource, chunk by chunk, reporting progress."""

    def __init__(self, source: _FileSource, size: int, progress: Optional[Progress]) -> None:
        self.source = source
        self.size = size
        self.progress = progress

    def send(self, conn: http.client.HTTPConnection) -> None:
        handle = self.source._open()
        try:
            sent = 0
            while sent < self.size:
                chunk = self.source._read(handle, min(CHUNK_SIZE, self.size - sent))
                if not chunk:
                    raise LedgerError(f"{self.source.label} shrank while it was being uploaded "
                                      f"({sent} of {self.size} bytes)")
                _net(conn.send, chunk)
                sent += len(chunk)
                if self.progress is not None:
                    self.progress(sent, self.size)
        finally:
            self.source._close(handle)


class _FileSink:
    """Where a streamed download goes: a temp file, hashed as it is written, rewound per attempt."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.hasher = hashlib.sha256()

    def reset(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()
        self.hasher = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.hasher.update(chunk)


Body = Union[None, bytes, _StreamBody]


class _Response:
    def __init__(self, status: int, reason: str, headers: http.client.HTTPMessage, body: Optional[bytes]) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.attempts = 1


def _entity_tag(value: Union[str, int]) -> str:
    """A value for If-Match: a quoted tag stays as is, a bare value (head seq, sha256) is quoted."""
    text = str(value)
    if text == "*" or text.startswith('"') or text.startswith("W/"):
        return text
    return f'"{text}"'


def _digest_from_headers(headers: http.client.HTTPMessage) -> Tuple[Optional[str], Optional[str]]:
    """The sha256 hex the ETag and the Repr-Digest header claim (either may be absent)."""
    etag_hex: Optional[str] = None
    etag = headers.get("ETag")
    if etag is not None:
        bare = etag.strip()
        if bare.startswith('"') and bare.endswith('"') and _SHA256_HEX.match(bare[1:-1].lower()):
            etag_hex = bare[1:-1].lower()
    repr_hex: Optional[str] = None
    repr_digest = headers.get("Repr-Digest")
    if repr_digest is not None:
        for member in repr_digest.split(","):
            key, _, value = member.strip().partition("=")
            if key.strip().lower() == "sha-256":
                value = value.strip()
                if not (value.startswith(":") and value.endswith(":")):
                    raise DigestMismatch(f"malformed Repr-Digest header {repr_digest!r}")
                try:
                    repr_hex = base64.b64decode(value[1:-1], validate=True).hex()
                except ValueError as error:
                    raise DigestMismatch(f"malformed Repr-Digest header {repr_digest!r}") from error
    return etag_hex, repr_hex


def _check_digest(name: str, headers: http.client.HTTPMessage, actual: str) -> None:
    etag_hex, repr_hex = _digest_from_headers(headers)
    if etag_hex is None and repr_hex is None:
        raise DigestMismatch(f"{name}: the response carried no sha-256 ETag or Repr-Digest to verify against",
                             name=name, actual=actual)
    for source, expected in (("ETag", etag_hex), ("Repr-Digest", repr_hex)):
        if expected is not None and expected != actual:
            raise DigestMismatch(f"{name}: received bytes hash to {actual}, the {source} says {expected}",
                                 name=name, expected=expected, actual=actual)


def _name_list(field: str, names: Iterable[str]) -> List[str]:
    """Artifact names as a list; one bare string would otherwise be sent as its characters."""
    if isinstance(names, str):
        raise TypeError(f"{field} is a list of names, not one string")
    return list(names)


def _deadline_text(deadline: Deadline) -> str:
    """RFC 3339 text for a deadline; a naive datetime is refused, since its instant depends on the machine."""
    if isinstance(deadline, str):
        return deadline  # the server checks the syntax and that it lies in the future
    if not isinstance(deadline, datetime):
        raise TypeError(f"deadline must be a timezone-aware datetime or an RFC 3339 string, not {type(deadline).__name__}")
    if deadline.utcoffset() is None:
        raise TypeError("deadline must be timezone-aware, e.g. datetime.now(timezone.utc) + timedelta(hours=6); "
                        "a naive datetime names no one instant")
    # UTC in milliseconds: the server keeps JavaScript Dates, and an offset with seconds is not RFC 3339.
    return deadline.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _report_text(value: str, limit: int) -> str:
    """A reported failure's field as the server takes it: valid UTF-8 and within its length limit.

    A failure report is sent when things already went wrong; it must not be refused for an odd message.
    """
    # Lone surrogates (undecodable file names under surrogateescape) have no JSON form: show them escaped.
    text = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _failure_report(error: FailureReport) -> Dict[str, str]:
    """The ``{"type", "message"}`` a writer reports: an exception's class and text, or a (type, message) pair."""
    if isinstance(error, BaseException):
        cls = type(error)
        # Qualified where the name alone is ambiguous (requests.ConnectionError vs the builtin one).
        kind = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
        message = str(error)
    elif isinstance(error, tuple) and len(error) == 2 and all(isinstance(part, str) for part in error):
        kind, message = error
        if not kind:
            raise ValueError("the error type must be a non-empty string")
    else:
        raise TypeError(f"error must be an exception or a (type, message) tuple of strings, not {error!r}")
    return {"type": _report_text(kind, _ERROR_TYPE_MAX), "message": _report_text(message, _ERROR_MESSAGE_MAX)}


# ---------------------------------------------------------------------------------------------
# The client.

class LedgerClient:
    """A client for one artifact-ledger service.

    Every call makes up to `max_attempts` attempts, retrying connection failures and HTTP 429, 500,
    502, 503 and 504 after ``random.uniform(0, min(backoff_cap, backoff_base * 2**attempt))`` seconds
    (a numeric Retry-After, capped at 4 * `backoff_cap`, takes precedence). Other 4xx and 507 are raised
    at once, and so are a host name that does not resolve and a certificate that does not verify.
    `timeout` bounds every connect and every socket read or write.
    """

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, *, max_attempts: int = 8,
                 backoff_base: float = 0.2, backoff_cap: float = 5.0, timeout: float = 60.0) -> None:
        url = base_url or os.environ.get(URL_ENV) or DEFAULT_URL
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL like {DEFAULT_URL}, not {url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"base_url must not have a query or fragment: {url!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if backoff_base < 0 or backoff_cap < 0 or timeout <= 0:
            raise ValueError("backoff_base and backoff_cap must be >= 0, timeout > 0")
        self.base_url = url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"LedgerClient({self.base_url!r}, token={'set' if self._token else 'none'})"

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, session_id: str, artifacts: Sequence[Artifact], *, message: Optional[str] = None,
               metadata: Optional[Mapping[str, Any]] = None, idempotency_key: Optional[str] = None,
               if_match: Union[str, int, None] = None, expect: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """Commits artifacts atomically (all or nothing); returns the verified commit record.

        Each artifact is sent with the sha256 of its stored bytes (the server refuses a mismatch with 422
        digest_mismatch), and the record's sha256 and size are checked again here (DigestMismatch).
        `if_match` is the session head ETag (or its seq) the commit must build on: 412 otherwise.
        `expect` names artifacts to add to the session's expected set in the commit's own transaction
        (the record's ``expect.add``), e.g. the outputs this step has still to write.
        """
        if isinstance(artifacts, Artifact):
            raise TypeError("commit() takes a list of artifacts")
        items = list(artifacts)
        if not items:
            raise ValueError("commit() needs at least one artifact")
        for item in items:
            if not isinstance(item, Artifact):
                raise TypeError(f"commit() takes Artifact objects, not {type(item).__name__}")
        members: List[Dict[str, Any]] = []
        expected: List[Tuple[str, str, int]] = []
        for item in items:
            member, digest, size = item._wire()
            members.append(member)
            expected.append((item.name, digest, size))
        body: Dict[str, Any] = {"artifacts": members}
        if message is not None:
            body["message"] = message
        if metadata is not None:
            body["metadata"] = metadata
        if expect is not None:
            body["expect"] = _name_list("expect", expect)
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        if if_match is not None:
            headers["If-Match"] = _entity_tag(if_match)
        record = self._call_json("POST", f"{self._session_path(session_id)}/commits", body, headers, expect=(201,))
        self._verify_record(record, expected)
        return record

    def put_file(self, session_id: str, name: str, path_or_fileobj: PathOrFile, *, media_type: Optional[str] = None,
                 create_only: bool = False, if_match_sha256: Optional[str] = None,
                 idempotency_key: Optional[str] = None, progress: Optional[Progress] = None) -> Dict[str, Any]:
        """Uploads one artifact as a streamed PUT; returns the verified commit record.

        The file is read once to compute its SHA-256 (sent as Content-Digest), then streamed in 1 MiB
        chunks; every retry starts the file over (a file object is rewound to where it was). `progress`
        is called as ``progress(bytes_sent, total)`` after each chunk. `create_only` sends
        ``If-None-Match: *``, `if_match_sha256` ``If-Match: "<sha256>"``: 412 when they do not hold.
        """
        source = _FileSource(path_or_fileobj)
        digest, size = source.digest()
        content_type = media_type or mimetypes.guess_type(name)[0] \
            or (mimetypes.guess_type(source.path)[0] if source.path else None) or "application/octet-stream"
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(size),
            "Content-Digest": f"sha-256=:{base64.b64encode(digest).decode('ascii')}:",
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        }
        if create_only:
            headers["If-None-Match"] = "*"
        if if_match_sha256 is not None:
            headers["If-Match"] = _entity_tag(if_match_sha256)
        response = self._perform("PUT", self._artifact_path(session_id, name), headers,
                                 _StreamBody(source, size, progress))
        record = self._json_answer(response, "PUT", self._artifact_path(session_id, name), (201,))
        self._verify_record(record, [(name, digest.hex(), size)])
        return record

    def open_session(self, session_id: str, *, expected_artifacts: Optional[Iterable[str]] = None,
                     metadata: Optional[Mapping[str, Any]] = None, deadline: Optional[Deadline] = None,
                     if_match: Union[str, int, None] = None) -> Dict[str, Any]:
        """Creates or updates a session (PUT); returns the session record.

        `expected_artifacts` REPLACES the session's expected set. Two writers that each read the set and
        write it back lose each other's names; to add names use `expect` (or `change_expected`), which
        the server applies atomically.

        `deadline` (a timezone-aware datetime, or RFC 3339 text with a zone) is when the service closes
        the session itself if `complete` has not been called: ``incomplete`` when something is missing,
        with ``closedBy == "deadline"``. Without one the server's default applies (a day, unless
        SESSION_DEADLINE_SECONDS says otherwise). A naive datetime is a TypeError before anything is sent;
        a deadline already past is 422 ``deadline_passed``, moving that of a closed session 409
        ``session_closed``.

        `if_match` is the session record's ``etag``: 412 ``precondition_failed`` when the session has
        changed since. Like every call this one is retried after a lost answer, and a retry of a PUT that
        did land then answers 412 too: read the session to tell the two apart.
        """
        body: Dict[str, Any] = {}
        if expected_artifacts is not None:
            body["expectedArtifacts"] = _name_list("expected_artifacts", expected_artifacts)
        if metadata is not None:
            body["metadata"] = metadata
        if deadline is not None:
            body["deadline"] = _deadline_text(deadline)
        headers = {} if if_match is None else {"If-Match": _entity_tag(if_match)}
        return self._call_json("PUT", self._session_path(session_id), body, headers, expect=(200, 201))

    def expect(self, session_id: str, names: Iterable[str]) -> Dict[str, Any]:
        """Adds `names` to the session's expected artifacts (creating the session if needed).

        The server adds them in one transaction, so writers calling this at the same time never lose
        each other's names. Returns the session record.
        """
        return self.change_expected(session_id, add=names)

    def change_expected(self, session_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Dict[str, Any]:
        """Adds and removes expected artifacts atomically (POST …/expected); returns the session record.

        A name both added and removed is 400 ``invalid_content``. Creates the session if needed.
        """
        body: Dict[str, Any] = {}
        added = _name_list("add", add)
        removed = _name_list("remove", remove)
        if added:
            body["add"] = added
        if removed:
            body["remove"] = removed
        # No Idempotency-Key: adding a name already there, or removing one already gone, changes nothing,
        # so retrying after a lost answer is safe. (A retried remove could undo only an add of that same
        # name that another writer made in between.)
        return self._call_json("POST", f"{self._session_path(session_id)}/expected", body, {}, expect=(200,))

    def complete(self, session_id: str, *, error: Optional[FailureReport] = None) -> Dict[str, Any]:
        """Closes a session; returns its record.

        Without `error` the ``state`` becomes ``complete``, or ``incomplete`` with the names in ``missing``.
        With `error` (the exception the writer caught, or a ``(type, message)`` tuple) the writer reports
        that it failed: the state becomes ``failed`` and the record's ``error`` is ``{"type", "message"}``,
        the type being the exception's class (``module.Class`` outside builtins). That works before
        anything was committed (the session is created) and after the session closed.
        """
        body = None if error is None else {"error": _failure_report(error)}
        # No Idempotency-Key: closing a closed session changes nothing and a failed one stays failed, so a
        # retry after a lost answer lands the same state (and error) as the first attempt.
        return self._call_json("POST", f"{self._session_path(session_id)}/complete", body, {}, expect=(200,))

    def fail(self, session_id: str, error: FailureReport) -> Dict[str, Any]:
        """Reports that the writer failed: ``complete(session_id, error=error)``, spelled for an ``except`` block."""
        if error is None:
            raise TypeError("fail() needs the error: an exception or a (type, message) tuple")
        return self.complete(session_id, error=error)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, session_id: str, name: str, *, version: Optional[int] = None, at: Optional[int] = None) -> bytes:
        """An artifact's bytes (latest, `version`, or as of commit seq `at`), verified against its ETag."""
        path = self._artifact_path(session_id, name) + self._query(version=version, at=at)
        response = self._perform("GET", path, self._accept_any())
        if response.status != 200:
            raise self._problem(response, "GET", path)
        assert response.body is not None
        _check_digest(name, response.headers, hashlib.sha256(response.body).hexdigest())
        return response.body

    def get_to_file(self, session_id: str, name: str, path: StrPath, *,
                    version: Optional[int] = None, at: Optional[int] = None) -> str:
        """Streams an artifact into `path` via a temp file beside it, verified before os.replace.

        Returns the sha256. On any failure `path` is untouched and the temp file removed.
        """
        target = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(target))
        url_path = self._artifact_path(session_id, name) + self._query(version=version, at=at)
        fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "w+b") as handle:
                sink = _FileSink(handle)
                response = self._perform("GET", url_path, self._accept_any(), sink=sink)
                if response.status != 200:
                    raise self._problem(response, "GET", url_path)
                actual = sink.hasher.hexdigest()
                _check_digest(name, response.headers, actual)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise
        return actual

    def session(self, session_id: str) -> Dict[str, Any]:
        """A session: state, closedBy, error, deadline, head seq and etag, artifacts, expectedArtifacts, missing."""
        return self._call_json("GET", self._session_path(session_id), None, {}, expect=(200,))

    def versions(self, session_id: str, name: str) -> Dict[str, Any]:
        """An artifact's version history: ``{"sessionId", "name", "versions": [...]}``."""
        return self._call_json("GET", self._artifact_path(session_id, name) + "?versions", None, {}, expect=(200,))

    def commits(self, session_id: Optional[str] = None, *, state: Optional[str] = None, since: Optional[str] = None,
                cursor: Optional[str] = None, limit: Optional[int] = None, kind: Optional[str] = None) -> Dict[str, Any]:
        """One page of the transaction log: ``{"commits": [...], "nextCursor"}``.

        Every entry has a ``kind``: ``artifacts`` (a commit of bytes), ``expect`` (the expected set
        changed), ``close`` (the session closed; see ``close.closedBy``) or ``session`` (created, deadline
        or metadata changed). `kind` keeps only entries of that kind.
        """
        query = self._query(session=session_id, state=state, kind=kind, since=since, cursor=cursor, limit=limit)
        return self._call_json("GET", f"{self._prefix}/v1/commits{query}", None, {}, expect=(200,))

    def status(self) -> Dict[str, Any]:
        """GET /v1/status."""
        return self._call_json("GET", f"{self._prefix}/v1/status", None, {}, expect=(200,))

    # -- plumbing -------------------------------------------------------------------------------

    def _session_path(self, session_id: str) -> str:
        if not isinstance(session_id, str) or not session_id:
            raise ValueError("session_id must be a non-empty string")
        return f"{self._prefix}/v1/sessions/{quote(session_id, safe='')}"

    def _artifact_path(self, session_id: str, name: str) -> str:
        if not isinstance(name, str) or not name:
            raise ValueError("artifact name must be a non-empty string")
        # Each segment is encoded on its own; the slashes between segments stay path separators.
        encoded = "/".join(quote(segment, safe="") for segment in name.split("/"))
        return f"{self._session_path(session_id)}/artifacts/{encoded}"

    @staticmethod
    def _query(**params: Any) -> str:
        present = [(key, str(value)) for key, value in params.items() if value is not None]
        return "?" + urlencode(present) if present else ""

    def _base_headers(self) -> Dict[str, str]:
        headers = {"User-Agent": f"artifact-ledger-python/{__version__}", "Connection": "close"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    @staticmethod
    def _accept_any() -> Dict[str, str]:
        return {"Accept": "*/*"}

    def _call_json(self, method: str, path: str, body: Any, headers: Mapping[str, str],
                   expect: Tuple[int, ...]) -> Dict[str, Any]:
        """One JSON request (body serialized canonically) with retries; the 2xx JSON answer."""
        all_headers = {"Accept": "application/json", **headers}
        data: Optional[bytes] = None
        if body is not None:
            data = canonical_json(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        if method != "GET":
            all_headers["Content-Length"] = str(len(data or b""))
        response = self._perform(method, path, all_headers, data)
        return self._json_answer(response, method, path, expect)

    def _json_answer(self, response: _Response, method: str, path: str, expect: Tuple[int, ...]) -> Dict[str, Any]:
        if response.status not in expect:
            if 200 <= response.status < 300:
                raise LedgerError(f"{method} {self._url(path)}: expected HTTP {expect}, got {response.status}")
            raise self._problem(response, method, path)
        try:
            answer = _json.loads((response.body or b"").decode("utf-8"))
        except ValueError as error:
            raise LedgerError(f"{method} {self._url(path)}: HTTP {response.status} with a body that is not JSON") from error
        if not isinstance(answer, dict):
            raise LedgerError(f"{method} {self._url(path)}: HTTP {response.status} with a JSON {type(answer).__name__}, "
                              "expected an object")
        return cast("Dict[str, Any]", answer)

    def _url(self, path: str) -> str:
        return f"{self._scheme}://{self._host}{'' if self._port is None else f':{self._port}'}{path}"

    def _problem(self, response: _Response, method: str, path: str) -> LedgerProblem:
        raw = response.body or b""
        text = raw.decode("utf-8", errors="replace").strip()
        problem: Dict[str, Any] = {}
        if "json" in (response.headers.get("Content-Type") or "").lower():
            try:
                parsed = _json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                problem = cast("Dict[str, Any]", parsed)
        if len(text) > 2000:
            text = text[:2000] + "..."
        return LedgerProblem(response.status, problem, method=method, url=self._url(path),
                             text=text or response.reason, reason=response.reason,
                             attempts=response.attempts)

    def _verify_record(self, record: Mapping[str, Any], expected: Sequence[Tuple[str, str, int]]) -> None:
        """The commit record must say committed and echo the sha256 and size of every artifact sent."""
        if record.get("state") != "committed":
            raise LedgerError(f"the server answered 201 but commit {record.get('id')} is {record.get('state')!r}")
        listed = record.get("artifacts")
        by_name: Dict[str, Dict[str, Any]] = {}
        for entry in cast("List[Any]", listed) if isinstance(listed, list) else []:
            artifact = cast("Dict[str, Any]", entry) if isinstance(entry, dict) else {}
            if isinstance(artifact.get("name"), str):
                by_name[artifact["name"]] = artifact
        for name, digest, size in expected:
            got = by_name.get(name)
            if got is None:
                raise DigestMismatch(f"commit {record.get('id')} does not list artifact {name!r}",
                                     name=name, expected=digest)
            if got.get("sha256") != digest or got.get("size") != size:
                raise DigestMismatch(
                    f"commit {record.get('id')}: artifact {name!r} was sent as sha256 {digest} ({size} bytes), "
                    f"the server recorded {got.get('sha256')} ({got.get('size')} bytes)",
                    name=name, expected=digest, actual=got.get("sha256"))
        extra = set(by_name) - {name for name, _, _ in expected}
        if extra:
            raise LedgerError(f"commit {record.get('id')} lists artifacts that were not sent: {sorted(extra)}")

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _delay(self, attempt: int, response: Optional[_Response]) -> float:
        if response is not None:
            retry_after = (response.headers.get("Retry-After") or "").strip()
            if re.fullmatch(r"\d+(\.\d+)?", retry_after):
                return min(RETRY_AFTER_CAP_FACTOR * self.backoff_cap, float(retry_after))
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt))

    def _perform(self, method: str, path: str, headers: Mapping[str, str], body: Body = None,
                 sink: Optional[_FileSink] = None) -> _Response:
        """Runs a request with retries; returns the final response (any status)."""
        all_headers = {**self._base_headers(), **headers}
        key = all_headers.get("Idempotency-Key")
        last_error: Optional[BaseException] = None
        for attempt in range(self.max_attempts):
            try:
                response = self._attempt(method, path, all_headers, body, sink)
            except _NetworkError as error:
                last_error = error.cause
                response = None
                outcome = f"{type(error.cause).__name__}: {error.cause}"
                if not error.retryable:
                    raise LedgerUnavailable(
                        f"{method} {self._url(path)}: {outcome} (not retried: another attempt would fail the same way)",
                        attempts=attempt + 1, method=method, url=self._url(path)) from error.cause
            else:
                if response.status not in RETRY_STATUSES or attempt + 1 == self.max_attempts:
                    response.attempts = attempt + 1
                    return response
                last_error = None
                outcome = f"HTTP {response.status}"
            if attempt + 1 == self.max_attempts:
                break
            delay = self._delay(attempt, response)
            logger.warning("artifact-ledger: %s %s attempt %d of %d failed (%s); retrying in %.2fs%s",
                           method, self._url(path), attempt + 1, self.max_attempts, outcome, delay,
                           f" with Idempotency-Key {key}" if key else "")
            time.sleep(delay)
        raise LedgerUnavailable(
            f"{method} {self._url(path)}: no answer after {self.max_attempts} attempt"
            f"{'s' if self.max_attempts != 1 else ''}; last error: {type(last_error).__name__}: {last_error}",
            attempts=self.max_attempts, method=method, url=self._url(path)) from last_error

    def _attempt(self, method: str, path: str, headers: Mapping[str, str], body: Body,
                 sink: Optional[_FileSink]) -> _Response:
        conn = self._connection()
        try:
            _net(conn.putrequest, method, path)
            for name, value in headers.items():
                conn.putheader(name, value)
            _net(conn.endheaders)
            if body is not None:
                try:
                    if isinstance(body, bytes):
                        _net(conn.send, body)
                    else:
                        body.send(conn)
                except _NetworkError as send_error:
                    # The server may have answered early (413, 422...) and closed: report its answer.
                    try:
                        early = _net(conn.getresponse)
                        early_body = _net(early.read)
                    except _NetworkError:
                        raise send_error from None
                    return _Response(early.status, early.reason, early.headers, early_body)
            answer = _net(conn.getresponse)
            if sink is not None and 200 <= answer.status < 300:
                sink.reset()
                while True:
                    chunk = _net(answer.read, CHUNK_SIZE)
                    if not chunk:
                        break
                    sink.write(chunk)
                return _Response(answer.status, answer.reason, answer.headers, None)
            return _Response(answer.status, answer.reason, answer.headers, _net(answer.read))
        finally:
            conn.close()
