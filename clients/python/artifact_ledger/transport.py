"""One HTTP exchange with the service and the retry policy around it: connections, streamed bodies and sinks,
and the digests a response carries. No connection or state is kept between requests."""
from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import os
import random
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import IO, Any, Callable, FrozenSet, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from .errors import DigestMismatch, LedgerError, LedgerUnavailable

DEFAULT_URL = "http://127.0.0.1:8080"

#: Statuses worth another attempt: faults, overload, not ready. 507 (disk full) and other 4xx are final.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: A server's Retry-After is honoured up to this many times backoff_cap (as the TypeScript client does).
RETRY_AFTER_CAP_FACTOR = 4

CHUNK_SIZE = 1 << 20
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

logger = logging.getLogger("artifact_ledger")

Progress = Callable[[int, int], None]
PathOrFile = Union[str, os.PathLike[str], IO[bytes]]


class _NetworkError(Exception):
    """A socket-level failure of one attempt; most are worth a retry."""

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
# Request bodies and response sinks.

class FileSource:
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

    def open(self) -> IO[bytes]:
        if self.path is not None:
            return open(self.path, "rb")
        assert self.fileobj is not None
        self.fileobj.seek(self.start)
        return self.fileobj

    def close(self, handle: IO[bytes]) -> None:
        if self.path is not None:
            handle.close()

    def read(self, handle: IO[bytes], size: int) -> bytes:
        chunk = handle.read(size)
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(f"{self.label}: read() returned {type(chunk).__name__}; open the file in binary mode")
        return bytes(chunk)

    def digest(self) -> Tuple[bytes, int]:
        """SHA-256 and size, by one streaming pass."""
        hasher = hashlib.sha256()
        size = 0
        handle = self.open()
        try:
            while True:
                chunk = self.read(handle, CHUNK_SIZE)
                if not chunk:
                    break
                hasher.update(chunk)
                size += len(chunk)
        finally:
            self.close(handle)
        return hasher.digest(), size


class StreamBody:
    """Sends exactly `size` bytes of a FileSource, chunk by chunk, reporting progress."""

    def __init__(self, source: FileSource, size: int, progress: Optional[Progress]) -> None:
        self.source = source
        self.size = size
        self.progress = progress

    def send(self, conn: http.client.HTTPConnection) -> None:
        handle = self.source.open()
        try:
            sent = 0
            while sent < self.size:
                chunk = self.source.read(handle, min(CHUNK_SIZE, self.size - sent))
                if not chunk:
                    raise LedgerError(f"{self.source.label} shrank while it was being uploaded "
                                      f"({sent} of {self.size} bytes)")
                _net(conn.send, chunk)
                sent += len(chunk)
                if self.progress is not None:
                    self.progress(sent, self.size)
        finally:
            self.source.close(handle)


class FileSink:
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


Body = Union[None, bytes, StreamBody]


class Response:
    def __init__(self, status: int, reason: str, headers: http.client.HTTPMessage, body: Optional[bytes]) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.attempts = 1


# ---------------------------------------------------------------------------------------------
# Digests a response carries.

def entity_tag(value: Union[str, int]) -> str:
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


def check_digest(name: str, headers: http.client.HTTPMessage, actual: str) -> None:
    """The bytes received hash to what the ETag and Repr-Digest say, and at least one of them says it."""
    etag_hex, repr_hex = _digest_from_headers(headers)
    if etag_hex is None and repr_hex is None:
        raise DigestMismatch(f"{name}: the response carried no sha-256 ETag or Repr-Digest to verify against",
                             name=name, actual=actual)
    for source, expected in (("ETag", etag_hex), ("Repr-Digest", repr_hex)):
        if expected is not None and expected != actual:
            raise DigestMismatch(f"{name}: received bytes hash to {actual}, the {source} says {expected}",
                                 name=name, expected=expected, actual=actual)


# ---------------------------------------------------------------------------------------------
# Requests with retries.

@dataclass(frozen=True)
class RetryPolicy:
    """Up to `max_attempts` attempts; full-jitter backoff; `timeout` bounds each connect and socket read or write."""

    max_attempts: int = 8
    backoff_base: float = 0.2
    backoff_cap: float = 5.0
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.timeout <= 0:
            raise ValueError("backoff_base and backoff_cap must be >= 0, timeout > 0")

    def delay(self, attempt: int, response: Optional[Response]) -> float:
        if response is not None:
            retry_after = (response.headers.get("Retry-After") or "").strip()
            if re.fullmatch(r"\d+(\.\d+)?", retry_after):
                return min(RETRY_AFTER_CAP_FACTOR * self.backoff_cap, float(retry_after))
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt))


class Transport:
    """Requests to one service: its base URL and token, and the retry policy every request follows."""

    def __init__(self, base_url: str, token: Optional[str], policy: RetryPolicy, user_agent: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL like {DEFAULT_URL}, not {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"base_url must not have a query or fragment: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.prefix = parts.path.rstrip("/")
        self.policy = policy
        self.has_token = bool(token)
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._headers = {"User-Agent": user_agent, "Connection": "close"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return f"{self._scheme}://{self._host}{'' if self._port is None else f':{self._port}'}{path}"

    def perform(self, method: str, path: str, headers: Mapping[str, str], body: Body = None,
                sink: Optional[FileSink] = None, retry_statuses: FrozenSet[int] = RETRY_STATUSES) -> Response:
        """Runs a request with retries; returns the final response (any status)."""
        policy = self.policy
        all_headers = {**self._headers, **headers}
        key = all_headers.get("Idempotency-Key")
        last_error: Optional[BaseException] = None
        for attempt in range(policy.max_attempts):
            response: Optional[Response] = None
            try:
                answer = self._attempt(method, path, all_headers, body, sink)
            except _NetworkError as error:
                last_error = error.cause
                outcome = f"{type(error.cause).__name__}: {error.cause}"
                if not error.retryable:
                    raise LedgerUnavailable(
                        f"{method} {self.url(path)}: {outcome} (not retried: another attempt would fail the same way)",
                        attempts=attempt + 1, method=method, url=self.url(path)) from error.cause
            else:
                if answer.status not in retry_statuses or attempt + 1 == policy.max_attempts:
                    answer.attempts = attempt + 1
                    return answer
                response = answer
                last_error = None
                outcome = f"HTTP {answer.status}"
            if attempt + 1 == policy.max_attempts:
                break
            delay = policy.delay(attempt, response)
            logger.warning("artifact-ledger: %s %s attempt %d of %d failed (%s); retrying in %.2fs%s",
                           method, self.url(path), attempt + 1, policy.max_attempts, outcome, delay,
                           f" with Idempotency-Key {key}" if key else "")
            time.sleep(delay)
        raise LedgerUnavailable(
            f"{method} {self.url(path)}: no answer after {policy.max_attempts} attempt"
            f"{'s' if policy.max_attempts != 1 else ''}; last error: {type(last_error).__name__}: {last_error}",
            attempts=policy.max_attempts, method=method, url=self.url(path)) from last_error

    def open_stream(self, path: str, headers: Mapping[str, str]) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """One GET whose answer is left unread (an event stream); the caller reads it and closes the connection."""
        conn = self._connection()
        try:
            _net(conn.request, "GET", path, None, {**self._headers, **headers})
            return conn, _net(conn.getresponse)
        except BaseException:
            conn.close()
            raise

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.policy.timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=self.policy.timeout)

    def _attempt(self, method: str, path: str, headers: Mapping[str, str], body: Body,
                 sink: Optional[FileSink]) -> Response:
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
                    return Response(early.status, early.reason, early.headers, early_body)
            answer = _net(conn.getresponse)
            if sink is not None and 200 <= answer.status < 300:
                sink.reset()
                while True:
                    chunk = _net(answer.read, CHUNK_SIZE)
                    if not chunk:
                        break
                    sink.write(chunk)
                return Response(answer.status, answer.reason, answer.headers, None)
            return Response(answer.status, answer.reason, answer.headers, _net(answer.read))
        finally:
            conn.close()
