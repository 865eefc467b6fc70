"""Every error the client raises: what the server refused (one class per problem code), what never answered,
and what did not verify. Nothing is turned into a return value."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple, Type

if TYPE_CHECKING:
    from .records import Session


class LedgerError(Exception):
    """Base class of every error this client raises."""


class LedgerUnavailable(LedgerError):
    """No answer from the server after every attempt; the last network error is the __cause__."""

    def __init__(self, message: str, *, attempts: int, method: str, url: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.method = method
        self.url = url


class DigestMismatch(LedgerError):
    """Bytes or a commit record did not carry the sha256 (or size) they should have.

    Raised as is when this client's own check fails; the server's 422 ``digest_mismatch`` is
    ``ServerDigestMismatch``, a subclass, so ``except DigestMismatch`` catches both.
    """

    def __init__(self, message: str, *, name: Optional[str] = None, expected: Optional[str] = None,
                 actual: Optional[str] = None) -> None:
        super().__init__(message)
        self.name = name
        self.expected = expected
        self.actual = actual


class ContractMismatch(LedgerError):
    """A 2xx answer whose body is not what the API promises (not JSON, a field missing or of another type).

    Fields the client does not know are tolerated; a field it relies on that is absent is this error, named,
    rather than a KeyError somewhere later.
    """


class SessionIncomplete(LedgerError):
    """A session block ended without an exception, but the session did not close ``complete``.

    ``session`` is the record the close returned: ``incomplete`` with ``missing`` names, or ``failed`` when a
    failure had been reported before (its ``error`` says which).
    """

    def __init__(self, session: "Session") -> None:
        self.session = session
        self.session_id: str = session.id
        self.missing: Tuple[str, ...] = session.missing
        if session.state == "incomplete":
            message = f"session {session.id} closed incomplete: missing {', '.join(session.missing)}"
        else:
            reported = f" ({session.error.type}: {session.error.message})" if session.error else ""
            message = f"session {session.id} closed {session.state}{reported}, not complete"
        super().__init__(message)


class SessionNotOpen(LedgerError):
    """A session block was entered for a session that is already closed: it could neither complete nor fail it."""

    def __init__(self, session: "Session") -> None:
        self.session = session
        super().__init__(f"session {session.id} is already {session.state} (closed by {session.closed_by}); "
                         "a session block needs an open session, or a new id")


# ---------------------------------------------------------------------------------------------
# What the server refused: LedgerProblem, and one subclass per problem code it sends.

_BY_CODE: Dict[str, Type["LedgerProblem"]] = {}


class LedgerProblem(LedgerError):
    """The server answered with an error status (RFC 9457 problem details when it sent them).

    The class raised is the subclass for the problem's ``code`` (``SessionNotFound`` for
    ``session_not_found``...); a code this client does not know, or an answer without one, is this class.
    """

    #: The problem code a subclass stands for; None on the base class.
    CODE: Optional[str] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.CODE is not None:
            _BY_CODE[cls.CODE] = cls

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


def problem_class(code: Optional[str]) -> Type[LedgerProblem]:
    """The exception class for a problem code; LedgerProblem itself for an unknown code or none."""
    return _BY_CODE.get(code, LedgerProblem) if code is not None else LedgerProblem


# 400: the request cannot be read as the contract says.
class ValidationFailed(LedgerProblem):
    """400: the body does not match the schema (an unknown, missing or mistyped field; see ``field``)."""
    CODE = "validation_failed"


class InvalidJson(LedgerProblem):
    """400: the body is not JSON."""
    CODE = "invalid_json"


class InvalidContent(LedgerProblem):
    """400: the content cannot be stored as given (bad base64, a name both added and removed...)."""
    CODE = "invalid_content"


class InvalidQuery(LedgerProblem):
    """400: a query parameter is not valid."""
    CODE = "invalid_query"


class InvalidHeader(LedgerProblem):
    """400: a request header is not valid."""
    CODE = "invalid_header"


class InvalidUrl(LedgerProblem):
    """400: the request URL cannot be read."""
    CODE = "invalid_url"


class MalformedRequest(LedgerProblem):
    """400: HTTP that cannot be parsed (bad chunking...)."""
    CODE = "malformed_request"


class DuplicateArtifactName(LedgerProblem):
    """400: one commit names the same artifact twice."""
    CODE = "duplicate_artifact_name"


class DuplicateMemberName(LedgerProblem):
    """400: a JSON object has the same member twice; one value would be silently dropped."""
    CODE = "duplicate_member_name"


class InvalidUtf8(LedgerProblem):
    """400: the body is not valid UTF-8."""
    CODE = "invalid_utf8"


class LoneSurrogate(LedgerProblem):
    """400: a JSON string holds a lone surrogate, which has no UTF-8 form."""
    CODE = "lone_surrogate"


class InexactNumber(LedgerProblem):
    """400: a JSON number would change when stored (it is not exactly a double)."""
    CODE = "inexact_number"


class ClientDisconnected(LedgerProblem):
    """400: the request body ended early (recorded as an ``aborted`` commit)."""
    CODE = "client_disconnected"


# 401, 403: who is asking.
class Unauthorized(LedgerProblem):
    """401: no token, or one the server does not know."""
    CODE = "unauthorized"


class Forbidden(LedgerProblem):
    """403: the token may not do this."""
    CODE = "forbidden"


# 404, 405, 408: what is not there.
class NotFound(LedgerProblem):
    """404: no such route."""
    CODE = "not_found"


class SessionNotFound(LedgerProblem):
    """404: no session has this id."""
    CODE = "session_not_found"


class ArtifactNotFound(LedgerProblem):
    """404: the session has no artifact of this name."""
    CODE = "artifact_not_found"


class VersionNotFound(LedgerProblem):
    """404: the artifact has no such version (or none as of that seq)."""
    CODE = "version_not_found"


class CommitNotFound(LedgerProblem):
    """404: no commit has this id."""
    CODE = "commit_not_found"


class MethodNotAllowed(LedgerProblem):
    """405: the route exists but not with this method."""
    CODE = "method_not_allowed"


class ClientTimeout(LedgerProblem):
    """408: the request body made no progress for too long (recorded as an ``aborted`` commit)."""
    CODE = "client_timeout"


# 409, 412: state that forbids the change.
class NameConflict(LedgerProblem):
    """409: one name is a directory prefix of another in the session (``report`` and ``report/x.json``)."""
    CODE = "name_conflict"


class IdempotencyKeyReused(LedgerProblem):
    """409: the Idempotency-Key was used before with another body."""
    CODE = "idempotency_key_reused"


class SessionClosed(LedgerProblem):
    """409: the change needs an open session (e.g. moving the deadline of a closed one)."""
    CODE = "session_closed"


class SessionDeleted(LedgerProblem):
    """409: the session was deleted; it keeps its record (state ``deleted``) and takes no further change."""
    CODE = "session_deleted"


class Held(LedgerProblem):
    """409: the session is under a hold: nothing of it is deleted or expired until the hold is lifted."""
    CODE = "held"


# 410: removed, and the log says when and by which entry (``removedSeq``).
class ArtifactDeleted(LedgerProblem):
    """410: every version of the artifact was deleted (by DELETE, or with its session)."""
    CODE = "artifact_deleted"


class VersionExpired(LedgerProblem):
    """410: the version was removed by the session's retention (keepVersions or deleteAfterDays)."""
    CODE = "version_expired"


class HistoryPruned(LedgerProblem):
    """410: the version, or the snapshot asked for, lies in history pruned after HISTORY_RETENTION_SECONDS."""
    CODE = "history_pruned"


class PreconditionFailed(LedgerProblem):
    """412: If-Match or If-None-Match did not hold: someone changed the session or artifact first."""
    CODE = "precondition_failed"


# 413-416, 431: the shape of the request.
class PayloadTooLarge(LedgerProblem):
    """413: the body or the artifact is over the server's limit."""
    CODE = "payload_too_large"


class UriTooLong(LedgerProblem):
    """414: the URL is too long."""
    CODE = "uri_too_long"


class UnsupportedMediaType(LedgerProblem):
    """415: the route does not take this Content-Type."""
    CODE = "unsupported_media_type"


class UnsupportedContentEncoding(LedgerProblem):
    """415: a Content-Encoding the server does not decode."""
    CODE = "unsupported_content_encoding"


class UnsupportedCharset(LedgerProblem):
    """415: a charset other than UTF-8."""
    CODE = "unsupported_charset"


class RangeNotSatisfiable(LedgerProblem):
    """416: the Range lies outside the artifact."""
    CODE = "range_not_satisfiable"


class HeadersTooLarge(LedgerProblem):
    """431: the request headers are too large."""
    CODE = "headers_too_large"


# 422: well-formed, but not acceptable.
class ServerDigestMismatch(LedgerProblem, DigestMismatch):
    """422: the server hashed what it received and it is not the sha256 the request named.

    Also a DigestMismatch (``name``, ``expected``, ``actual`` from the problem), so one ``except
    DigestMismatch`` covers a mismatch whichever side found it.
    """
    CODE = "digest_mismatch"

    def __init__(self, status: int, problem: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(status, problem, **kwargs)
        for attribute in ("name", "expected", "actual"):
            value = self.problem.get(attribute)
            setattr(self, attribute, value if isinstance(value, str) else None)


class InvalidName(LedgerProblem):
    """422: the artifact name breaks the naming rules."""
    CODE = "invalid_name"


class InvalidSessionId(LedgerProblem):
    """422: the session id breaks the naming rules."""
    CODE = "invalid_session_id"


class DeadlinePassed(LedgerProblem):
    """422: the deadline given already lies in the past."""
    CODE = "deadline_passed"


# 5xx: the service could not. 503s are retried before they are raised; 507 is raised at once.
class InternalError(LedgerProblem):
    """500: a fault the server did not expect (it logged it)."""
    CODE = "internal"


class StorageFault(LedgerProblem):
    """500: a write, fsync or rename failed; nothing was acknowledged (a ``failed`` commit says why)."""
    CODE = "storage_fault"


class ReadBackMismatch(LedgerProblem):
    """500: what was written did not read back the same; nothing was acknowledged."""
    CODE = "read_back_mismatch"


class ObjectCorrupt(LedgerProblem):
    """500: stored bytes no longer hash right; they are not served."""
    CODE = "object_corrupt"


class ObjectMissing(LedgerProblem):
    """500: a stored object the log names is gone."""
    CODE = "object_missing"


class NotReady(LedgerProblem):
    """503: the service is recovering or cannot write durably now."""
    CODE = "not_ready"


class ShuttingDown(LedgerProblem):
    """503: the service is stopping."""
    CODE = "shutting_down"


class TooManyOpenFiles(LedgerProblem):
    """503: the service ran out of file descriptors."""
    CODE = "too_many_open_files"


class TooManyUploads(LedgerProblem):
    """503: every upload slot is taken."""
    CODE = "too_many_uploads"


class TooManySubscribers(LedgerProblem):
    """503: every event stream slot (MAX_EVENT_SUBSCRIBERS) is taken."""
    CODE = "too_many_subscribers"


class IdempotencyKeyInFlight(LedgerProblem):
    """503: another replica's attempt under the same Idempotency-Key is still in flight; a retry replays its result."""
    CODE = "idempotency_key_in_flight"


class InsufficientStorage(LedgerProblem):
    """507: the disk is full, or below the reserve the service keeps."""
    CODE = "insufficient_storage"


#: Every problem code this client has a class for.
PROBLEM_CLASSES: Mapping[str, Type[LedgerProblem]] = _BY_CODE
