"""GET /v1/events as a generator of log entries: the Server-Sent Events parsed, each record checked, and a
dropped stream reopened with Last-Event-ID, so the caller sees every ended entry once, in seq order."""
from __future__ import annotations

import http.client
import json
import time
from typing import Callable, Iterator, Optional, Tuple

from .errors import ContractMismatch, LedgerError, LedgerUnavailable
from .records import CommitRecord
from .transport import RETRY_STATUSES, Response, Transport, _NetworkError

#: Before the service has said (its ``retry:`` field), wait this long to reconnect after a dropped stream.
DEFAULT_RECONNECT_SECONDS = 2.0

Problem = Callable[[Response], LedgerError]
_Frame = Tuple[Optional[str], Optional[str], Optional[str]]  # id, data, retry


def follow_events(transport: Transport, path: str, since: Optional[int], problem: Problem) -> Iterator[CommitRecord]:
    """Yields every ended entry after `since` (or from the log's end), reconnecting for as long as it is iterated.

    A connection that fails to open is retried as any request is (`max_attempts`, backoff, Retry-After);
    an open stream that drops is reopened after the service's ``retry`` interval. 4xx answers are raised.
    """
    last_id = None if since is None else str(since)
    reconnect = DEFAULT_RECONNECT_SECONDS
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        try:
            conn, answer = transport.open_stream(path, headers)
        except _NetworkError as error:
            failures += 1
            if not error.retryable or failures >= transport.policy.max_attempts:
                raise LedgerUnavailable(f"GET {transport.url(path)}: {type(error.cause).__name__}: {error.cause}",
                                        attempts=failures, method="GET", url=transport.url(path)) from error.cause
            time.sleep(transport.policy.delay(failures - 1, None))
            continue
        if answer.status != 200:
            try:
                response = Response(answer.status, answer.reason, answer.headers, _read_quietly(answer))
            finally:
                conn.close()
            failures += 1
            if answer.status in RETRY_STATUSES and failures < transport.policy.max_attempts:
                time.sleep(transport.policy.delay(failures - 1, response))
                continue
            raise problem(response)
        failures = 0
        try:
            for event_id, data, retry in _frames(answer):
                if retry is not None and retry.isdigit():
                    reconnect = int(retry) / 1000
                if data is None:
                    continue
                record = _record(data)
                if event_id is not None:
                    last_id = event_id
                yield record
        except (OSError, http.client.HTTPException):
            pass  # the stream dropped (or went silent past the timeout): reopen it below
        finally:
            conn.close()
        time.sleep(reconnect)


def _read_quietly(answer: http.client.HTTPResponse) -> Optional[bytes]:
    try:
        return answer.read()
    except (OSError, http.client.HTTPException):
        return None


def _record(data: str) -> CommitRecord:
    try:
        value = json.loads(data)
    except ValueError as error:
        raise ContractMismatch(f"an event's data is not JSON: {data[:200]!r}") from error
    return CommitRecord.from_json(value, "event")


def _frames(answer: http.client.HTTPResponse) -> Iterator[_Frame]:
    """The SSE frames: fields up to a blank line; ``:`` lines are comments (heartbeats) and skipped."""
    event_id: Optional[str] = None
    data: Optional[str] = None
    retry: Optional[str] = None
    while True:
        raw = answer.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data is not None or retry is not None:
                yield event_id, data, retry
            event_id, data, retry = None, None, None
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data = value if data is None else f"{data}\n{value}"
        elif field == "id":
            event_id = value
        elif field == "retry":
            retry = value
