"""LedgerClient: every call of the service's HTTP API, verified, retried and answered with typed records."""
from __future__ import annotations

import base64
import hashlib
import json as _json
import mimetypes
import os
import tempfile
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar, Union, cast
from urllib.parse import quote, urlencode

from .artifact import Artifact, StrPath, name_list
from .errors import ArtifactDeleted, ContractMismatch, DigestMismatch, LedgerError, LedgerProblem, SessionDeleted, problem_class
from .events import follow_events
from .jcs import canonical_json
from .records import ArtifactList, CommitPage, CommitRecord, Record, Session, SessionPage, VersionHistory
from .reports import Health, Status, VerifyReport, health_from_json
from .session_writer import DEFAULT_STREAM_OVER, Deadline, SessionWriter
from .transport import (
    DEFAULT_URL, RETRY_STATUSES, Body, FileSink, FileSource, PathOrFile, Progress, Response, RetryPolicy, StreamBody,
    Transport, check_digest, entity_tag,
)
from .version import __version__

URL_ENV = "ARTIFACT_LEDGER_URL"
TOKEN_ENV = "ARTIFACT_LEDGER_TOKEN"

#: What a writer reports when it failed: the exception it caught, or ``(type, message)``.
FailureReport = Union[BaseException, Tuple[str, str]]

# The server's limits on a reported failure (CompleteRequest in openapi.yaml).
_ERROR_TYPE_MAX = 256
_ERROR_MESSAGE_MAX = 65_536

# A failing readiness probe answers 503 with its report: that is the answer, not a reason to ask again.
_HEALTH_RETRY_STATUSES: FrozenSet[int] = RETRY_STATUSES - {503}

R = TypeVar("R", bound=Record)


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
        chosen_token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
        self.retry_policy = RetryPolicy(max_attempts, backoff_base, backoff_cap, timeout)
        self._transport = Transport(url, chosen_token, self.retry_policy, f"artifact-ledger-python/{__version__}")
        self.base_url = self._transport.base_url
        self._prefix = self._transport.prefix

    def __repr__(self) -> str:
        return f"LedgerClient({self.base_url!r}, token={'set' if self._transport.has_token else 'none'})"

    # -- the session block ----------------------------------------------------------------------

    def session(self, session_id: str, *, expect: Iterable[str] = (), deadline: Optional[Deadline] = None,
                metadata: Optional[Mapping[str, Any]] = None, stream_over: int = DEFAULT_STREAM_OVER) -> SessionWriter:
        """A session as a ``with`` block: it ends complete, or failed with the exception, or raises.

        Entering adds `expect` to the expected names (atomically) and sets `deadline` and `metadata` if given.
        A clean exit completes the session and raises SessionIncomplete unless it closed ``complete``; an
        exception (KeyboardInterrupt and SystemExit too) is reported with ``fail`` and then re-raised.
        See SessionWriter for the ``save_*`` calls; files over `stream_over` bytes are streamed with PUT.
        """
        return SessionWriter(self, session_id, expect=expect, deadline=deadline, metadata=metadata,
                             stream_over=stream_over)

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, session_id: str, artifacts: Sequence[Artifact], *, message: Optional[str] = None,
               metadata: Optional[Mapping[str, Any]] = None, idempotency_key: Optional[str] = None,
               if_match: Union[str, int, None] = None, expect: Optional[Iterable[str]] = None) -> CommitRecord:
        """Commits artifacts atomically (all or nothing); returns the verified commit record.

        Each artifact is sent with the sha256 of its stored bytes (the server refuses a mismatch with 422
        ServerDigestMismatch), and the record's sha256 and size are checked again here (DigestMismatch).
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
            body["expect"] = name_list("expect", expect)
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        if if_match is not None:
            headers["If-Match"] = entity_tag(if_match)
        path = f"{self._session_path(session_id)}/commits"
        record = self._typed(CommitRecord, "POST", path, body, headers, expect=(201,))
        _verify_record(record, expected)
        return record

    def put_file(self, session_id: str, name: str, path_or_fileobj: PathOrFile, *, media_type: Optional[str] = None,
                 create_only: bool = False, if_match_sha256: Optional[str] = None,
                 idempotency_key: Optional[str] = None, progress: Optional[Progress] = None) -> CommitRecord:
        """Uploads one artifact as a streamed PUT; returns the verified commit record.

        The file is read once to compute its SHA-256 (sent as Content-Digest), then streamed in 1 MiB
        chunks; every retry starts the file over (a file object is rewound to where it was). `progress`
        is called as ``progress(bytes_sent, total)`` after each chunk. `create_only` sends
        ``If-None-Match: *``, `if_match_sha256` ``If-Match: "<sha256>"``: 412 when they do not hold.
        """
        source = FileSource(path_or_fileobj)
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
            headers["If-Match"] = entity_tag(if_match_sha256)
        path = self._artifact_path(session_id, name)
        response = self._perform("PUT", path, headers, StreamBody(source, size, progress))
        record = CommitRecord.from_json(self._json_answer(response, "PUT", path, (201,)), "commit record")
        _verify_record(record, [(name, digest.hex(), size)])
        return record

    def open_session(self, session_id: str, *, expected_artifacts: Optional[Iterable[str]] = None,
                     metadata: Optional[Mapping[str, Any]] = None, deadline: Optional[Deadline] = None,
                     if_match: Union[str, int, None] = None, retention: Optional[Mapping[str, int]] = None,
                     hold: Optional[bool] = None) -> Session:
        """Creates or updates a session (PUT); returns the session record.

        `expected_artifacts` REPLACES the session's expected set. Two writers that each read the set and
        write it back lose each other's names; to add names use `expect` (or `change_expected`), which
        the server applies atomically, or the session block's ``expect=``.

        `deadline` (a timezone-aware datetime, or RFC 3339 text with a zone) is when the service closes
        the session itself if `complete` has not been called: ``incomplete`` when something is missing,
        with ``closed_by == "deadline"``. Without one the server's default applies (a day, unless
        SESSION_DEADLINE_SECONDS says otherwise). A naive datetime is a TypeError before anything is sent;
        a deadline already past is 422 DeadlinePassed, moving that of a closed session 409 SessionClosed.

        `if_match` is the session record's ``etag``: 412 PreconditionFailed when the session has changed
        since. Like every call this one is retried after a lost answer, and a retry of a PUT that did land
        then answers 412 too: read the session to tell the two apart.

        `retention` (``{"keepVersions": N, "deleteAfterDays": D}``, positive integers) replaces the session's
        retention; `hold` stops deletion and expiry while True. Both need an admin token.
        """
        body: Dict[str, Any] = {}
        if expected_artifacts is not None:
            body["expectedArtifacts"] = name_list("expected_artifacts", expected_artifacts)
        if metadata is not None:
            body["metadata"] = metadata
        if deadline is not None:
            body["deadline"] = _deadline_text(deadline)
        if retention is not None:
            body["retention"] = dict(retention)
        if hold is not None:
            body["hold"] = hold
        headers = {} if if_match is None else {"If-Match": entity_tag(if_match)}
        return self._typed(Session, "PUT", self._session_path(session_id), body, headers, expect=(200, 201))

    def expect(self, session_id: str, names: Iterable[str]) -> Session:
        """Adds `names` to the session's expected artifacts (creating the session if needed).

        The server adds them in one transaction, so writers calling this at the same time never lose
        each other's names. Returns the session record.
        """
        return self.change_expected(session_id, add=names)

    def change_expected(self, session_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Session:
        """Adds and removes expected artifacts atomically (POST …/expected); returns the session record.

        A name both added and removed is 400 InvalidContent. Creates the session if needed.
        """
        body: Dict[str, Any] = {}
        added = name_list("add", add)
        removed = name_list("remove", remove)
        if added:
            body["add"] = added
        if removed:
            body["remove"] = removed
        # No Idempotency-Key: adding a name already there, or removing one already gone, changes nothing,
        # so retrying after a lost answer is safe. (A retried remove could undo only an add of that same
        # name that another writer made in between.)
        return self._typed(Session, "POST", f"{self._session_path(session_id)}/expected", body, {}, expect=(200,))

    def complete(self, session_id: str, *, error: Optional[FailureReport] = None) -> Session:
        """Closes a session; returns its record.

        Without `error` the ``state`` becomes ``complete``, or ``incomplete`` with the names in ``missing``.
        With `error` (the exception the writer caught, or a ``(type, message)`` tuple) the writer reports
        that it failed: the state becomes ``failed`` and the record's ``error`` has its ``type`` and
        ``message``, the type being the exception's class (``module.Class`` outside builtins). That works
        before anything was committed (the session is created) and after the session closed.
        """
        body = None if error is None else {"error": _failure_report(error)}
        # No Idempotency-Key: closing a closed session changes nothing and a failed one stays failed, so a
        # retry after a lost answer lands the same state (and error) as the first attempt.
        return self._typed(Session, "POST", f"{self._session_path(session_id)}/complete", body, {}, expect=(200,))

    def fail(self, session_id: str, error: FailureReport) -> Session:
        """Reports that the writer failed: ``complete(session_id, error=error)``, spelled for an ``except`` block."""
        if error is None:
            raise TypeError("fail() needs the error: an exception or a (type, message) tuple")
        return self.complete(session_id, error=error)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, session_id: str, name: str, *, version: Optional[int] = None, at: Optional[int] = None) -> bytes:
        """An artifact's bytes (latest, `version`, or as of commit seq `at`), verified against its ETag."""
        path = self._artifact_path(session_id, name) + _query(version=version, at=at)
        response = self._perform("GET", path, {"Accept": "*/*"})
        if response.status != 200:
            raise self._problem(response, "GET", path)
        assert response.body is not None
        check_digest(name, response.headers, hashlib.sha256(response.body).hexdigest())
        return response.body

    def get_to_file(self, session_id: str, name: str, path: StrPath, *,
                    version: Optional[int] = None, at: Optional[int] = None) -> str:
        """Streams an artifact into `path` via a temp file beside it, verified before os.replace.

        Returns the sha256. On any failure `path` is untouched and the temp file removed.
        """
        target = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(target))
        url_path = self._artifact_path(session_id, name) + _query(version=version, at=at)
        fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "w+b") as handle:
                sink = FileSink(handle)
                response = self._perform("GET", url_path, {"Accept": "*/*"}, sink=sink)
                if response.status != 200:
                    raise self._problem(response, "GET", url_path)
                actual = sink.hasher.hexdigest()
                check_digest(name, response.headers, actual)
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

    def delete_artifact(self, session_id: str, name: str) -> Optional[CommitRecord]:
        """Deletes every version of an artifact (admin scope): its reads raise ArtifactDeleted (410) from now on.

        Returns the ``delete`` log entry, or None when the artifact was already deleted (so a retry whose first
        answer was lost is safe). Raises ArtifactNotFound when it never existed, Held under a hold.
        """
        return self._deleting(self._artifact_path(session_id, name), ArtifactDeleted)

    def delete_session(self, session_id: str) -> Optional[CommitRecord]:
        """Deletes a session (admin scope): it stays, state ``deleted``, and every artifact of it answers 410.

        Returns the ``delete`` log entry, or None when the session was already deleted.
        """
        return self._deleting(self._session_path(session_id), SessionDeleted)

    def _deleting(self, path: str, already: Type[LedgerProblem]) -> Optional[CommitRecord]:
        try:
            return self._typed(CommitRecord, "DELETE", path, None, {}, expect=(200,))
        except already:
            return None

    def get_session(self, session_id: str) -> Session:
        """A session: state, closed_by, error, deadline, head seq and etag, artifacts, expected and missing names."""
        return self._typed(Session, "GET", self._session_path(session_id), None, {}, expect=(200,))

    def artifacts(self, session_id: str, at: Optional[int] = None) -> ArtifactList:
        """The latest version of each artifact, or with `at` (a commit seq) the session as of that commit."""
        path = f"{self._session_path(session_id)}/artifacts{_query(at=at)}"
        return self._typed(ArtifactList, "GET", path, None, {}, expect=(200,))

    def versions(self, session_id: str, name: str) -> VersionHistory:
        """Every version of an artifact, oldest first."""
        return self._typed(VersionHistory, "GET", self._artifact_path(session_id, name) + "?versions", None, {},
                           expect=(200,))

    def get_commit(self, commit_id: str) -> CommitRecord:
        """One log entry with its state ``transitions`` and, if it failed, its ``error``."""
        path = f"{self._prefix}/v1/commits/{quote(commit_id, safe='')}"
        return self._typed(CommitRecord, "GET", path, None, {}, expect=(200,))

    # -- listings -------------------------------------------------------------------------------

    def sessions(self, *, state: Optional[str] = None, cursor: Optional[str] = None,
                 limit: Optional[int] = None) -> SessionPage:
        """One page of sessions by id (`limit` per page, server default 100), optionally only those in `state`."""
        path = f"{self._prefix}/v1/sessions{_query(state=state, cursor=cursor, limit=limit)}"
        return self._typed(SessionPage, "GET", path, None, {}, expect=(200,))

    def iter_sessions(self, *, state: Optional[str] = None, page_size: Optional[int] = None) -> Iterator[Session]:
        """Every session (in `state`), page after page; each page is fetched when the previous one is used up."""
        cursor: Optional[str] = None
        while True:
            page = self.sessions(state=state, cursor=cursor, limit=page_size)
            yield from page.sessions
            cursor = _next_cursor(cursor, page.next_cursor, "sessions")
            if cursor is None:
                return

    def commits(self, session_id: Optional[str] = None, *, state: Optional[str] = None, since: Optional[str] = None,
                cursor: Optional[str] = None, limit: Optional[int] = None, kind: Optional[str] = None) -> CommitPage:
        """One page of the transaction log, oldest first.

        Every entry has a ``kind``: ``artifacts`` (a commit of bytes), ``expect`` (the expected set
        changed), ``close`` (the session closed; see ``close.closed_by``) or ``session`` (created, deadline
        or metadata changed). `kind` keeps only entries of that kind; `since` is a seq (entries after it) or
        an RFC 3339 time.
        """
        query = _query(session=session_id, state=state, kind=kind, since=since, cursor=cursor, limit=limit)
        return self._typed(CommitPage, "GET", f"{self._prefix}/v1/commits{query}", None, {}, expect=(200,))

    def iter_commits(self, session_id: Optional[str] = None, *, state: Optional[str] = None,
                     since: Optional[str] = None, kind: Optional[str] = None,
                     page_size: Optional[int] = None) -> Iterator[CommitRecord]:
        """Every matching log entry, oldest first, page after page."""
        cursor: Optional[str] = None
        while True:
            page = self.commits(session_id, state=state, since=since, cursor=cursor, limit=page_size, kind=kind)
            yield from page.commits
            cursor = _next_cursor(cursor, page.next_cursor, "commits")
            if cursor is None:
                return

    def events(self, since: Optional[int] = None, session: Optional[str] = None) -> Iterator[CommitRecord]:
        """GET /v1/events: each log entry once it has ended, in seq order, as it happens; runs until closed.

        Starts after seq `since`, or at the log's current end; `session` keeps one session's entries. A
        dropped stream (or a restarted service) is reopened with Last-Event-ID: no entry is missed or repeated.
        """
        path = f"{self._prefix}/v1/events{_query(session=session)}"
        return follow_events(self._transport, path, since, lambda response: self._problem(response, "GET", path))

    # -- the service ----------------------------------------------------------------------------

    def status(self) -> Status:
        """GET /v1/status."""
        return self._typed(Status, "GET", f"{self._prefix}/v1/status", None, {}, expect=(200,))

    def verify(self, session_id: Optional[str] = None, *, repair: bool = True,
               repair_objects: bool = False) -> VerifyReport:
        """Re-reads and hashes every stored file (or one session's) and reports what is missing, corrupt or orphaned.

        `repair` rewrites plain files that differ from an intact object; `repair_objects` also rebuilds a
        corrupt or missing object from a plain copy that still hashes right. An unknown session is 404.
        """
        body: Dict[str, Any] = {"repair": repair, "repairObjects": repair_objects}
        if session_id is not None:
            body["sessionId"] = session_id
        return self._typed(VerifyReport, "POST", f"{self._prefix}/v1/verify", body, {}, expect=(200,))

    def health(self) -> Health:
        """Readiness (GET /health/ready): a Health whether it passes (200) or fails (503).

        A failing probe is not retried and not raised; look at ``is_ok``, ``status`` and ``failing()``.
        """
        return self._health("ready")

    def live(self) -> Health:
        """Liveness (GET /health/live): the process answers."""
        return self._health("live")

    def _health(self, probe: str) -> Health:
        path = f"{self._prefix}/health/{probe}"
        response = self._perform("GET", path, {"Accept": "application/health+json, application/json"},
                                 retry_statuses=_HEALTH_RETRY_STATUSES)
        is_report = "health+json" in (response.headers.get("Content-Type") or "")
        if response.status >= 300 and not (response.status == 503 and is_report):
            raise self._problem(response, "GET", path)
        return health_from_json(self._parse_json(response, "GET", path), response.status)

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

    def _perform(self, method: str, path: str, headers: Mapping[str, str], body: Body = None,
                 sink: Optional[FileSink] = None, retry_statuses: FrozenSet[int] = RETRY_STATUSES) -> Response:
        """Every request goes through here: with retries, returning the final response (any status)."""
        return self._transport.perform(method, path, headers, body, sink, retry_statuses)

    def _typed(self, record: Type[R], method: str, path: str, body: Any, headers: Mapping[str, str],
               expect: Tuple[int, ...]) -> R:
        return record.from_json(self._call_json(method, path, body, headers, expect), record.__name__)

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

    def _json_answer(self, response: Response, method: str, path: str, expect: Tuple[int, ...]) -> Dict[str, Any]:
        if response.status not in expect:
            if 200 <= response.status < 300:
                raise ContractMismatch(f"{method} {self._transport.url(path)}: expected HTTP {expect}, "
                                       f"got {response.status}")
            raise self._problem(response, method, path)
        return self._parse_json(response, method, path)

    def _parse_json(self, response: Response, method: str, path: str) -> Dict[str, Any]:
        where = f"{method} {self._transport.url(path)}: HTTP {response.status}"
        try:
            answer = _json.loads((response.body or b"").decode("utf-8"))
        except ValueError as error:
            raise ContractMismatch(f"{where} with a body that is not JSON") from error
        if not isinstance(answer, dict):
            raise ContractMismatch(f"{where} with a JSON {type(answer).__name__}, expected an object")
        return cast("Dict[str, Any]", answer)

    def _problem(self, response: Response, method: str, path: str) -> LedgerProblem:
        """The exception for an error answer: the class for its problem code, with what the server said."""
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
        code = problem.get("code")
        return problem_class(code if isinstance(code, str) else None)(
            response.status, problem, method=method, url=self._transport.url(path), text=text or response.reason,
            reason=response.reason, attempts=response.attempts)


def _verify_record(record: CommitRecord, expected: Sequence[Tuple[str, str, int]]) -> None:
    """The commit record must say committed and echo the sha256 and size of every artifact sent."""
    if record.state != "committed":
        raise LedgerError(f"the server answered 201 but commit {record.id} is {record.state!r}")
    by_name = {artifact.name: artifact for artifact in record.artifacts}
    for name, digest, size in expected:
        got = by_name.get(name)
        if got is None:
            raise DigestMismatch(f"commit {record.id} does not list artifact {name!r}", name=name, expected=digest)
        if got.sha256 != digest or got.size != size:
            raise DigestMismatch(
                f"commit {record.id}: artifact {name!r} was sent as sha256 {digest} ({size} bytes), "
                f"the server recorded {got.sha256} ({got.size} bytes)",
                name=name, expected=digest, actual=got.sha256)
    extra = set(by_name) - {name for name, _, _ in expected}
    if extra:
        raise LedgerError(f"commit {record.id} lists artifacts that were not sent: {sorted(extra)}")


def _next_cursor(previous: Optional[str], following: Optional[str], listing: str) -> Optional[str]:
    """The cursor of the next page; one that does not move would page forever."""
    if following is not None and following == previous:
        raise ContractMismatch(f"the {listing} listing answered the cursor {following!r} it was given: it does not advance")
    return following


def _query(**params: Any) -> str:
    present = [(key, _query_value(value)) for key, value in params.items() if value is not None]
    return "?" + urlencode(present) if present else ""


def _query_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


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
