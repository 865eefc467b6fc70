"""What the service answers about sessions, commits and artifacts, as frozen dataclasses.

Field names are the wire's in snake_case; times are timezone-aware datetimes; lists are tuples. Each record
keeps the JSON object it was read from in ``raw`` (not compared, not shown), so a field this client does not
model yet is still reachable.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Optional, Tuple, Type, TypeVar

from .parsing import Fields

R = TypeVar("R", bound="Record")


class Record:
    """Reads a dataclass from the JSON object the server sent."""

    @classmethod
    def from_json(cls: Type[R], value: Any, where: str = "") -> R:
        return cls.parse(Fields(value, where or cls.__name__))

    @classmethod
    def parse(cls: Type[R], fields: Fields) -> R:
        raise NotImplementedError


@dataclass(frozen=True)
class WriterError(Record):
    """The failure a writer reported when it closed its session: ``{"type", "message"}``."""

    type: str
    message: str

    @classmethod
    def parse(cls, f: Fields) -> "WriterError":
        return cls(f.text("type"), f.text("message"))


@dataclass(frozen=True)
class ArtifactVersion(Record):
    """One committed version of an artifact (in a session, a listing or a history)."""

    name: str
    version: int
    sha256: str
    size: int
    media_type: str
    commit_id: str
    seq: int
    committed_at: datetime
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "ArtifactVersion":
        return cls(f.text("name"), f.integer("version"), f.text("sha256"), f.integer("size"), f.text("mediaType"),
                   f.text("commitId"), f.integer("seq"), f.time("committedAt"), raw=f.raw)


@dataclass(frozen=True)
class Session(Record):
    """A session: ``state`` is ``open``, ``complete``, ``incomplete``, ``failed`` or ``deleted``.

    ``closed_by`` is ``writer`` or ``deadline`` once closed; ``error`` the failure the writer reported (state
    ``failed``); ``missing`` the expected names that have no committed version; ``etag`` the head ETag for
    ``if_match``.
    """

    id: str
    state: str
    created_at: datetime
    updated_at: datetime
    completed_at: Optional[datetime]
    deadline: Optional[datetime]
    closed_by: Optional[str]
    error: Optional[WriterError]
    head_seq: int
    etag: str
    metadata: Optional[Dict[str, Any]]
    expected_artifacts: Tuple[str, ...]
    missing: Tuple[str, ...]
    artifacts: Tuple[ArtifactVersion, ...]
    #: The session's own ``{keepVersions?, deleteAfterDays?}``; None takes the server's defaults.
    retention: Optional[Dict[str, Any]]
    #: True while deletion and expiry are stopped.
    hold: bool
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "Session":
        return cls(
            f.text("id"), f.text("state"), f.time("createdAt"), f.time("updatedAt"), f.time_or_none("completedAt"),
            f.time_or_none("deadline"), f.text_or_none("closedBy"), f.one_or_none("error", WriterError.parse),
            f.integer("headSeq"), f.text("etag"), f.mapping_or_none("metadata"), f.names("expectedArtifacts"),
            f.names("missing"), f.each("artifacts", ArtifactVersion.parse),
            # Servers from before retention send neither.
            f.mapping_or_none("retention") if f.has("retention") else None, f.flag("hold") if f.has("hold") else False,
            raw=f.raw)

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def artifact(self, name: str) -> Optional[ArtifactVersion]:
        """The latest version of the artifact called `name`, or None."""
        return next((a for a in self.artifacts if a.name == name), None)


@dataclass(frozen=True)
class CommitArtifact(Record):
    """An artifact as a commit record lists it; a failed commit may leave the stored facts null."""

    name: str
    version: Optional[int]
    sha256: Optional[str]
    size: Optional[int]
    media_type: Optional[str]

    @classmethod
    def parse(cls, f: Fields) -> "CommitArtifact":
        return cls(f.text("name"), f.integer_or_none("version"), f.text_or_none("sha256"), f.integer_or_none("size"),
                   f.text_or_none("mediaType"))


@dataclass(frozen=True)
class CommitError(Record):
    """Why a log entry is ``failed`` or ``aborted``: a problem code, its detail and facts."""

    code: str
    detail: str
    facts: Dict[str, Any]

    @classmethod
    def parse(cls, f: Fields) -> "CommitError":
        facts = f.mapping_or_none("facts") if f.has("facts") else None
        return cls(f.text("code"), f.text("detail"), facts or {})


@dataclass(frozen=True)
class ExpectChange(Record):
    """Names a log entry added to and removed from the expected artifacts."""

    add: Tuple[str, ...]
    remove: Tuple[str, ...]

    @classmethod
    def parse(cls, f: Fields) -> "ExpectChange":
        return cls(f.names("add"), f.names("remove"))


@dataclass(frozen=True)
class CloseChange(Record):
    """How a ``close`` entry closed its session."""

    state: str
    closed_by: str
    missing: Tuple[str, ...]
    error: Optional[WriterError]

    @classmethod
    def parse(cls, f: Fields) -> "CloseChange":
        return cls(f.text("state"), f.text("closedBy"), f.names("missing"), f.one_or_none("error", WriterError.parse))


@dataclass(frozen=True)
class SessionChange(Record):
    """What a ``session`` entry changed about the session itself; None members did not change."""

    created: bool
    deadline: Optional[datetime]
    metadata: Optional[Dict[str, Any]]

    @classmethod
    def parse(cls, f: Fields) -> "SessionChange":
        return cls(f.flag("created"), f.time_or_none("deadline"), f.mapping_or_none("metadata"))


@dataclass(frozen=True)
class Transition(Record):
    """One step of a commit's state machine (pending -> committed, failed or aborted)."""

    from_state: Optional[str]
    to_state: str
    at: datetime
    reason: Optional[str]

    @classmethod
    def parse(cls, f: Fields) -> "Transition":
        return cls(f.text_or_none("from"), f.text("to"), f.time("at"), f.text_or_none("reason"))


@dataclass(frozen=True)
class CommitRecord(Record):
    """A log entry: ``kind`` is ``artifacts`` (a commit of bytes), ``expect``, ``close``, ``session``, ``delete``
    or ``expire``.

    ``state`` is ``pending``, ``committed``, ``failed`` or ``aborted``; ``error`` says why for the last two.
    ``expect``, ``close`` and ``session`` are what the entry changed (None when it changed nothing of that);
    ``delete`` (``by``, ``target``, ``name``, ``removedVersions``) and ``expire`` (``retention``, ``versions``)
    what a removal removed, as the server sent them.
    ``transitions`` are listed only by ``LedgerClient.get_commit``; elsewhere they are empty.
    """

    id: str
    seq: int
    session_id: str
    kind: str
    state: str
    message: Optional[str]
    metadata: Optional[Dict[str, Any]]
    created_at: datetime
    finished_at: Optional[datetime]
    artifacts: Tuple[CommitArtifact, ...]
    error: Optional[CommitError]
    expect: Optional[ExpectChange]
    close: Optional[CloseChange]
    session: Optional[SessionChange]
    delete: Optional[Dict[str, Any]]
    expire: Optional[Dict[str, Any]]
    transitions: Tuple[Transition, ...]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "CommitRecord":
        return cls(
            f.text("id"), f.integer("seq"), f.text("sessionId"), f.text("kind"), f.text("state"),
            f.text_or_none("message"), f.mapping_or_none("metadata"), f.time("createdAt"), f.time_or_none("finishedAt"),
            f.each("artifacts", CommitArtifact.parse), f.one_or_none("error", CommitError.parse),
            f.one_or_none("expect", ExpectChange.parse), f.one_or_none("close", CloseChange.parse),
            f.one_or_none("session", SessionChange.parse),
            f.mapping_or_none("delete") if f.has("delete") else None, f.mapping_or_none("expire") if f.has("expire") else None,
            f.each("transitions", Transition.parse) if f.has("transitions") else (), raw=f.raw)

    def artifact(self, name: str) -> Optional[CommitArtifact]:
        return next((a for a in self.artifacts if a.name == name), None)


@dataclass(frozen=True)
class CommitPage(Record):
    """One page of the transaction log; pass ``next_cursor`` back for the next (None: this was the last)."""

    commits: Tuple[CommitRecord, ...]
    next_cursor: Optional[str]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "CommitPage":
        return cls(f.each("commits", CommitRecord.parse), f.text_or_none("nextCursor"), raw=f.raw)


@dataclass(frozen=True)
class SessionPage(Record):
    """One page of sessions by id; pass ``next_cursor`` back for the next (None: this was the last)."""

    sessions: Tuple[Session, ...]
    next_cursor: Optional[str]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "SessionPage":
        return cls(f.each("sessions", Session.parse), f.text_or_none("nextCursor"), raw=f.raw)


@dataclass(frozen=True)
class ArtifactList(Record):
    """The latest version of each artifact of a session, or the session as of commit ``at_seq``."""

    session_id: str
    head_seq: int
    etag: str
    at_seq: Optional[int]
    artifacts: Tuple[ArtifactVersion, ...]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "ArtifactList":
        return cls(f.text("sessionId"), f.integer("headSeq"), f.text("etag"), f.integer_or_none("atSeq"),
                   f.each("artifacts", ArtifactVersion.parse), raw=f.raw)


@dataclass(frozen=True)
class VersionHistory(Record):
    """Every version of one artifact, oldest first."""

    session_id: str
    name: str
    versions: Tuple[ArtifactVersion, ...]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "VersionHistory":
        return cls(f.text("sessionId"), f.text("name"), f.each("versions", ArtifactVersion.parse), raw=f.raw)
