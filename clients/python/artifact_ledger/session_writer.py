"""The session block: ``with client.session(...) as s:`` ends the session complete, or failed with the
exception that left the block, or raises. A writer can neither forget to close its session nor report
success after an error on the way out."""
from __future__ import annotations

import json as _json
import logging
import mimetypes
import os
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Iterable, List, Literal, Mapping, Optional, Sequence, Type, Union

from .artifact import Artifact, StrPath, name_list, read_file, reject_constant
from .errors import SessionIncomplete, SessionNotOpen
from .records import CommitRecord, Session
from .transport import Progress

if TYPE_CHECKING:
    from .client import LedgerClient

#: Files larger than this go by a streamed PUT, each its own commit; smaller ones in a JSON commit (as the CLI).
DEFAULT_STREAM_OVER = 8 * 1024 * 1024

#: A timezone-aware datetime, or RFC 3339 text with a zone such as ``2026-12-05T18:00:00Z``.
Deadline = Union[datetime, str]

logger = logging.getLogger("artifact_ledger")


class SessionWriter:
    """A writer's session inside ``with client.session(session_id, expect=[...]) as s:``.

    Entering creates the session if needed, adds the expected names (one atomic server-side add, so writers
    side by side never lose each other's) and sets the deadline and metadata when given. Leaving:

    - without an exception: completes the session; raises SessionIncomplete (with ``session`` and
      ``missing``) unless it closed ``complete``;
    - with any exception, KeyboardInterrupt and SystemExit included: reports it (the session closes
      ``failed`` with the exception's type and message), then lets that same exception propagate. If the
      report cannot be delivered, the original exception still propagates, with a note saying why
      (``add_note``; on Python < 3.11 the note is only in ``__notes__``, and it is logged either way).

    ``session`` is the latest session record the block saw (after leaving: the closed one); ``commits`` the
    commit records of its saves, in order.
    """

    def __init__(self, client: "LedgerClient", session_id: str, *, expect: Iterable[str] = (),
                 deadline: Optional[Deadline] = None, metadata: Optional[Mapping[str, Any]] = None,
                 stream_over: int = DEFAULT_STREAM_OVER) -> None:
        if stream_over < 0:
            raise ValueError("stream_over must be >= 0")
        self.client = client
        self.session_id = session_id
        self.stream_over = stream_over
        self.session: Optional[Session] = None
        self.commits: List[CommitRecord] = []
        #: Set when an exception left the block and reporting it to the service failed too.
        self.report_error: Optional[Exception] = None
        self._expect = name_list("expect", expect)
        self._deadline = deadline
        self._metadata = metadata

    def __repr__(self) -> str:
        state = self.session.state if self.session is not None else "not entered"
        return f"SessionWriter({self.session_id!r}, {state})"

    def __enter__(self) -> "SessionWriter":
        session: Optional[Session] = None
        if self._deadline is not None or self._metadata is not None:
            session = self.client.open_session(self.session_id, deadline=self._deadline, metadata=self._metadata)
        if self._expect or session is None:
            # An empty add still creates the session: its deadline runs from here, whatever happens next.
            session = self.client.expect(self.session_id, self._expect)
        if not session.is_open:
            raise SessionNotOpen(session)
        self.session = session
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> Literal[False]:
        if exc is None:
            self.session = self.client.complete(self.session_id)
            if self.session.state != "complete":
                raise SessionIncomplete(self.session)
            return False
        try:
            self.session = self.client.fail(self.session_id, exc)
        except Exception as report_error:
            # The writer's own exception is what the caller must see; the failed report rides along with it.
            # (A KeyboardInterrupt while reporting propagates, with the original as its __context__.)
            self.report_error = report_error
            _attach_note(exc, f"artifact-ledger: reporting this failure to session {self.session_id} failed too: "
                              f"{type(report_error).__name__}: {report_error}")
        return False  # never swallow: the exception that left the block propagates as it is

    # -- saving ---------------------------------------------------------------------------------

    def save(self, artifacts: Sequence[Artifact], *, message: Optional[str] = None,
             metadata: Optional[Mapping[str, Any]] = None) -> CommitRecord:
        """Commits artifacts atomically (all or nothing), verified; returns the commit record."""
        record = self.client.commit(self.session_id, artifacts, message=message, metadata=metadata)
        self.commits.append(record)
        return record

    def save_json(self, name: str, value: Any, *, media_type: Optional[str] = None,
                  message: Optional[str] = None) -> CommitRecord:
        """Stores a JSON value (in its RFC 8785 canonical form)."""
        return self.save([Artifact.from_json(name, value, media_type)], message=message)

    def save_text(self, name: str, text: str, *, media_type: Optional[str] = None,
                  message: Optional[str] = None) -> CommitRecord:
        """Stores text as UTF-8."""
        return self.save([Artifact.from_text(name, text, media_type)], message=message)

    def save_bytes(self, name: str, data: Union[bytes, bytearray, memoryview], *, media_type: Optional[str] = None,
                   message: Optional[str] = None) -> CommitRecord:
        """Stores bytes as they are."""
        return self.save([Artifact.from_bytes(name, data, media_type)], message=message)

    def save_file(self, name: str, path: StrPath, *, media_type: Optional[str] = None,
                  progress: Optional[Progress] = None) -> CommitRecord:
        """Stores a file's exact bytes: streamed with PUT when larger than ``stream_over``, else in a commit.

        Either way the stored sha256 is the file's. The media type is guessed from `name`, then `path`. A
        small ``.json`` file must parse, so a truncated metrics file is refused (ValueError) rather than
        stored; a streamed one is not parsed. `progress(sent, total)` is called only for streamed files.
        """
        if os.stat(path).st_size > self.stream_over:
            record = self.client.put_file(self.session_id, name, path, media_type=media_type, progress=progress)
            self.commits.append(record)
            return record
        data = read_file(path)
        chosen = media_type or mimetypes.guess_type(name)[0] or mimetypes.guess_type(os.fspath(path))[0]
        if chosen is not None and chosen.split(";")[0].strip().lower() == "application/json":
            try:
                _json.loads(data.decode("utf-8"), parse_constant=reject_constant)
            except ValueError as error:
                raise ValueError(f"{os.fspath(path)} is not valid JSON ({error}); nothing was saved as {name}") from error
        return self.save([Artifact.from_bytes(name, data, chosen)])

    def expect(self, names: Iterable[str]) -> Session:
        """Adds names to the session's expected artifacts (atomically on the service); returns the session."""
        self.session = self.client.expect(self.session_id, names)
        return self.session


def _attach_note(error: BaseException, note: str) -> None:
    """Adds a note to an exception's traceback (PEP 678), and logs it: no Python version hides it."""
    add_note = getattr(error, "add_note", None)
    if callable(add_note):
        add_note(note)
    else:
        notes = getattr(error, "__notes__", None)
        setattr(error, "__notes__", [*notes, note] if isinstance(notes, list) else [note])
    logger.error("%s", note)
