"""What the service reports about itself: status, verify and health, as frozen dataclasses.

Parts this client does not model (the last scrub, recovery, an unrecovered fault) stay JSON objects; the
whole answer is in ``raw``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple, Union, cast

from .errors import ContractMismatch
from .parsing import Fields
from .records import Record


@dataclass(frozen=True)
class CommitCounts(Record):
    pending: int
    committed: int
    failed: int
    aborted: int
    total: int

    @classmethod
    def parse(cls, f: Fields) -> "CommitCounts":
        return cls(f.integer("pending"), f.integer("committed"), f.integer("failed"), f.integer("aborted"),
                   f.integer("total"))


@dataclass(frozen=True)
class SessionCounts(Record):
    """Sessions by state; the ids are the 100 most recently changed incomplete and failed ones."""

    total: int
    open: int
    complete: int
    incomplete: int
    failed: int
    closed_by_deadline: int
    incomplete_ids: Tuple[str, ...]
    failed_ids: Tuple[str, ...]
    #: Sessions an admin deleted (0 from servers that cannot delete).
    deleted: int = 0

    @classmethod
    def parse(cls, f: Fields) -> "SessionCounts":
        return cls(f.integer("total"), f.integer("open"), f.integer("complete"), f.integer("incomplete"),
                   f.integer("failed"), f.integer("closedByDeadline"), f.names("incompleteIds"), f.names("failedIds"),
                   f.integer("deleted") if f.has("deleted") else 0)


@dataclass(frozen=True)
class StorageUsage(Record):
    object_count: int
    object_bytes: int
    database_bytes: int
    free_bytes: Optional[int]
    total_bytes: Optional[int]

    @classmethod
    def parse(cls, f: Fields) -> "StorageUsage":
        return cls(f.integer("objectCount"), f.integer("objectBytes"), f.integer("databaseBytes"),
                   f.integer_or_none("freeBytes"), f.integer_or_none("totalBytes"))


@dataclass(frozen=True)
class CommitSummary(Record):
    """The last commit, or with ``state``, ``code`` and ``detail`` the last failure."""

    id: str
    seq: int
    session_id: str
    at: datetime
    state: Optional[str]
    code: Optional[str]
    detail: Optional[str]

    @classmethod
    def parse(cls, f: Fields) -> "CommitSummary":
        return cls(f.text("id"), f.integer("seq"), f.text("sessionId"), f.time("at"), f.text_if_present("state"),
                   f.text_if_present("code"), f.text_if_present("detail"))


@dataclass(frozen=True)
class CanaryResult(Record):
    """The last synthetic write through the whole path."""

    at: datetime
    ok: bool
    latency_ms: int
    error: Optional[str]

    @classmethod
    def parse(cls, f: Fields) -> "CanaryResult":
        return cls(f.time("at"), f.flag("ok"), f.integer("latencyMs"), f.text_or_none("error"))


@dataclass(frozen=True)
class BackgroundError(Record):
    """Background work (scrub, canary, deadlines...) whose last run failed, until it next succeeds."""

    path: str
    code: str
    detail: str
    since: datetime
    count: int

    @classmethod
    def parse(cls, f: Fields) -> "BackgroundError":
        return cls(f.text("path"), f.text("code"), f.text("detail"), f.time("since"), f.integer("count"))


@dataclass(frozen=True)
class Status(Record):
    """``GET /v1/status``: counts, storage, the last commit and failure, and what background work reports."""

    service: str
    version: str
    phase: str
    started_at: datetime
    uptime_seconds: int
    commits: CommitCounts
    last_commit: Optional[CommitSummary]
    last_failure: Optional[CommitSummary]
    storage: StorageUsage
    sessions: SessionCounts
    last_scrub: Optional[Dict[str, Any]]
    scrub_running: bool
    canary: Optional[CanaryResult]
    recovery: Optional[Dict[str, Any]]
    unrecovered_fault: Optional[Dict[str, Any]]
    owed_failures: int
    background_errors: Tuple[BackgroundError, ...]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "Status":
        return cls(
            f.text("service"), f.text("version"), f.text("phase"), f.time("startedAt"), f.integer("uptimeSeconds"),
            f.one("commits", CommitCounts.parse), f.one_or_none("lastCommit", CommitSummary.parse),
            f.one_or_none("lastFailure", CommitSummary.parse), f.one("storage", StorageUsage.parse),
            f.one("sessions", SessionCounts.parse), f.mapping_or_none("lastScrub"), f.flag("scrubRunning"),
            f.one_or_none("canary", CanaryResult.parse), f.mapping_or_none("recovery"),
            f.mapping_or_none("unrecoveredFault"), f.integer("owedFailures"),
            f.each("backgroundErrors", BackgroundError.parse), raw=f.raw)


@dataclass(frozen=True)
class VerifyFinding(Record):
    """A file verify found missing, corrupt or orphaned; ``kind`` is ``object``, ``plain`` or ``temp``."""

    kind: str
    path: str
    sha256: Optional[str]
    session_id: Optional[str]
    name: Optional[str]
    actual_sha256: Optional[str]
    repaired: bool

    @classmethod
    def parse(cls, f: Fields) -> "VerifyFinding":
        return cls(f.text("kind"), f.text("path"), f.text_if_present("sha256"), f.text_if_present("sessionId"),
                   f.text_if_present("name"), f.text_if_present("actualSha256"),
                   f.flag("repaired") if f.has("repaired") else False)


@dataclass(frozen=True)
class VerifyCounts(Record):
    objects: int
    plain_files: int
    bytes: int

    @classmethod
    def parse(cls, f: Fields) -> "VerifyCounts":
        return cls(f.integer("objects"), f.integer("plainFiles"), f.integer("bytes"))


@dataclass(frozen=True)
class VerifyReport(Record):
    """``POST /v1/verify``: ``ok`` when nothing was missing, corrupt or orphaned.

    ``repaired`` findings (plain files rewritten from intact objects) are also in ``missing`` or ``corrupt``:
    verify again to confirm. ``session_id`` is the scope, None for the whole ledger.
    """

    session_id: Optional[str]
    ok: bool
    repair: bool
    checked: VerifyCounts
    missing: Tuple[VerifyFinding, ...]
    corrupt: Tuple[VerifyFinding, ...]
    orphaned: Tuple[VerifyFinding, ...]
    repaired: Tuple[VerifyFinding, ...]
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "VerifyReport":
        scope = Fields(f.raw.get("scope"), f"{f.where}.scope")
        return cls(
            scope.text_or_none("sessionId"), f.flag("ok"), f.flag("repair"), f.one("checked", VerifyCounts.parse),
            f.each("missing", VerifyFinding.parse), f.each("corrupt", VerifyFinding.parse),
            f.each("orphaned", VerifyFinding.parse), f.each("repaired", VerifyFinding.parse),
            f.time("startedAt"), f.time("finishedAt"), f.integer("durationMs"), raw=f.raw)


@dataclass(frozen=True)
class HealthCheck(Record):
    """One named check of a health report (draft-inadarei-api-health-check)."""

    status: str
    time: datetime
    component_type: Optional[str]
    observed_value: Union[int, float, str, None]
    observed_unit: Optional[str]
    output: Optional[str]

    @classmethod
    def parse(cls, f: Fields) -> "HealthCheck":
        return cls(f.text("status"), f.time("time"), f.text_if_present("componentType"),
                   f.number_or_text("observedValue"), f.text_if_present("observedUnit"), f.text_if_present("output"))


@dataclass(frozen=True)
class Health(Record):
    """``GET /health/ready`` or ``/health/live``: ``status`` is ``pass``, ``warn`` or ``fail``.

    ``http_status`` is what the probe answered (503 when readiness fails); ``checks`` maps each check's name
    to its results. A failing probe is returned like a passing one: it is information, not an error.
    """

    status: str
    version: str
    service_id: str
    description: str
    checks: Dict[str, Tuple[HealthCheck, ...]]
    http_status: int
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, f: Fields) -> "Health":
        return cls.read(f, http_status=200)

    @classmethod
    def read(cls, f: Fields, http_status: int) -> "Health":
        checks = Fields(f.raw.get("checks"), f"{f.where}.checks")
        by_name = {name: checks.each(name, HealthCheck.parse) for name in checks.raw}
        return cls(f.text("status"), f.text("version"), f.text("serviceId"), f.text("description"), by_name,
                   http_status, raw=f.raw)

    @property
    def is_ok(self) -> bool:
        """True when the probe answered 200 and nothing fails (``warn`` still counts as up)."""
        return self.http_status == 200 and self.status != "fail"

    def failing(self) -> List[str]:
        """The names of the checks with a result that is not ``pass``, e.g. ``["disk:free"]``."""
        return [name for name, results in self.checks.items() if any(r.status != "pass" for r in results)]


def health_from_json(value: Any, http_status: int) -> Health:
    """A Health from a probe's answer, whatever its status; anything else there is a ContractMismatch."""
    if not isinstance(value, dict) or "status" not in cast("Dict[str, Any]", value):
        raise ContractMismatch(f"the health probe answered HTTP {http_status} without a health report")
    return Health.read(Fields(value, "health"), http_status)
