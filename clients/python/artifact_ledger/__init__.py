"""A standard-library-only Python client for artifact-ledger.

Every write is verified: a commit or upload returns only once the server answered 201 *and* the
commit record carries the sha256 and size this client computed locally; reads are hashed and checked
against the ``ETag`` / ``Repr-Digest`` the server sent. Commits and uploads carry one
``Idempotency-Key`` per call, reused on every retry, so a retried commit is applied exactly once.

Usage::

    from datetime import datetime, timedelta, timezone
    from artifact_ledger import LedgerClient

    client = LedgerClient()  # ARTIFACT_LEDGER_URL, ARTIFACT_LEDGER_TOKEN
    deadline = datetime.now(timezone.utc) + timedelta(hours=6)
    with client.session("run-42", expect=["quality_metrics.json", "summary.txt"], deadline=deadline) as s:
        s.save_json("quality_metrics.json", {"score": 0.93, "tokens": 18234})
        s.save_text("summary.txt", "all good")
        s.save_file("checkpoints/model.bin", "model.bin")   # streamed with PUT above 8 MiB
    # Here the session is complete. Had the block raised, the session would be `failed` with that
    # exception's type and message, and the exception would propagate; had an output been missing,
    # SessionIncomplete would say which.

The package root is the API; its modules are how it is organized.
"""
from .artifact import MISSING, Artifact
from .client import TOKEN_ENV, URL_ENV, FailureReport, LedgerClient
from .errors import (
    PROBLEM_CLASSES, ArtifactDeleted, ArtifactNotFound, ClientDisconnected, ClientTimeout, CommitNotFound, ContractMismatch,
    DeadlinePassed, DigestMismatch, DuplicateArtifactName, DuplicateMemberName, Forbidden, HeadersTooLarge,
    IdempotencyKeyInFlight, IdempotencyKeyReused, InexactNumber, InsufficientStorage, InternalError, InvalidContent, InvalidHeader,
    InvalidJson, InvalidName, InvalidQuery, InvalidSessionId, InvalidUrl, InvalidUtf8, LedgerError, LedgerProblem,
    LedgerUnavailable, LoneSurrogate, MalformedRequest, MethodNotAllowed, NameConflict, NotFound, NotReady,
    ObjectCorrupt, ObjectMissing, PayloadTooLarge, PreconditionFailed, RangeNotSatisfiable, ReadBackMismatch,
    ServerDigestMismatch, SessionClosed, SessionDeleted, Held, VersionExpired, HistoryPruned, SessionIncomplete, SessionNotFound, SessionNotOpen, ShuttingDown,
    StorageFault, TooManyOpenFiles, TooManySubscribers, TooManyUploads, Unauthorized, UnsupportedCharset, UnsupportedContentEncoding,
    UnsupportedMediaType, UriTooLong, ValidationFailed, VersionNotFound, problem_class,
)
from .jcs import canonical_json, format_number
from .records import (
    ArtifactList, ArtifactVersion, CloseChange, CommitArtifact, CommitError, CommitPage, CommitRecord, ExpectChange,
    Session, SessionChange, SessionPage, Transition, VersionHistory, WriterError,
)
from .reports import (
    BackgroundError, CanaryResult, CommitCounts, CommitSummary, Health, HealthCheck, SessionCounts, Status,
    StorageUsage, VerifyCounts, VerifyFinding, VerifyReport,
)
from .session_writer import DEFAULT_STREAM_OVER, Deadline, SessionWriter
from .transport import CHUNK_SIZE, DEFAULT_URL, RETRY_STATUSES, RetryPolicy
from .version import __version__

__all__ = [
    # the client and the session block
    "LedgerClient", "SessionWriter", "Artifact", "MISSING", "RetryPolicy", "Deadline", "FailureReport",
    "canonical_json", "format_number", "__version__",
    "CHUNK_SIZE", "DEFAULT_STREAM_OVER", "DEFAULT_URL", "RETRY_STATUSES", "TOKEN_ENV", "URL_ENV",
    # typed results
    "ArtifactList", "ArtifactVersion", "CloseChange", "CommitArtifact", "CommitError", "CommitPage", "CommitRecord",
    "ExpectChange", "Session", "SessionChange", "SessionPage", "Transition", "VersionHistory", "WriterError",
    "BackgroundError", "CanaryResult", "CommitCounts", "CommitSummary", "Health", "HealthCheck", "SessionCounts",
    "Status", "StorageUsage", "VerifyCounts", "VerifyFinding", "VerifyReport",
    # errors
    "LedgerError", "LedgerUnavailable", "DigestMismatch", "ContractMismatch", "SessionIncomplete", "SessionNotOpen",
    "LedgerProblem", "PROBLEM_CLASSES", "problem_class",
    "ValidationFailed", "InvalidJson", "InvalidContent", "InvalidQuery", "InvalidHeader", "InvalidUrl",
    "MalformedRequest", "DuplicateArtifactName", "DuplicateMemberName", "InvalidUtf8", "LoneSurrogate",
    "InexactNumber", "ClientDisconnected", "Unauthorized", "Forbidden", "NotFound", "SessionNotFound",
    "ArtifactNotFound", "VersionNotFound", "CommitNotFound", "MethodNotAllowed", "ClientTimeout", "NameConflict",
    "IdempotencyKeyReused", "IdempotencyKeyInFlight", "SessionClosed", "SessionDeleted", "Held", "ArtifactDeleted", "VersionExpired", "HistoryPruned", "PreconditionFailed", "PayloadTooLarge", "UriTooLong",
    "UnsupportedMediaType", "UnsupportedContentEncoding", "UnsupportedCharset", "RangeNotSatisfiable",
    "HeadersTooLarge", "ServerDigestMismatch", "InvalidName", "InvalidSessionId", "DeadlinePassed", "InternalError",
    "StorageFault", "ReadBackMismatch", "ObjectCorrupt", "ObjectMissing", "NotReady", "ShuttingDown",
    "TooManyOpenFiles", "TooManySubscribers", "TooManyUploads", "InsufficientStorage",
]
