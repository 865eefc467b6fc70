"""Tests of the Python client, mostly against a live artifact-ledger (node dist/main.js) they start.

Run from the repository root:  python3 -m unittest discover -s clients/python -v
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import http.client
import io
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Generator, List, Optional, Tuple, TypeVar
from unittest import mock

import artifact_ledger
from artifact_ledger import (
    DEFAULT_STREAM_OVER,
    Artifact,
    ArtifactList,
    ArtifactNotFound,
    CommitPage,
    CommitRecord,
    ContractMismatch,
    DeadlinePassed,
    DigestMismatch,
    DuplicateMemberName,
    ExpectChange,
    Health,
    IdempotencyKeyReused,
    InexactNumber,
    InsufficientStorage,
    InvalidContent,
    InvalidName,
    LedgerClient,
    LedgerError,
    LedgerProblem,
    LedgerUnavailable,
    NotReady,
    PayloadTooLarge,
    PreconditionFailed,
    ServerDigestMismatch,
    Session,
    SessionClosed,
    SessionIncomplete,
    SessionNotFound,
    SessionNotOpen,
    SessionPage,
    Status,
    Unauthorized,
    ValidationFailed,
    VerifyReport,
    VersionHistory,
    WriterError,
    canonical_json,
    format_number,
)

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
# Variables of the developer's shell that would change how the server or the client behaves.
_SCRUBBED_ENV = ("AUTH_TOKENS", "AUTH_TOKENS_FILE", "ALLOW_ANONYMOUS", "METRICS_REQUIRE_TOKEN",
                 "BODY_LIMIT_BYTES", "MAX_ARTIFACT_BYTES", "SESSION_DEADLINE_SECONDS",
                 artifact_ledger.URL_ENV, artifact_ledger.TOKEN_ENV)
_env_patch = mock.patch.dict(os.environ)


def setUpModule() -> None:
    _env_patch.start()
    for name in _SCRUBBED_ENV:
        os.environ.pop(name, None)


def tearDownModule() -> None:
    _env_patch.stop()


# ---------------------------------------------------------------------------------------------
# Harness: the built server on a free port with its own DATA_DIR.

_built = False


def ensure_built() -> None:
    global _built
    if not _built and not (ROOT / "dist" / "main.js").exists():
        subprocess.run(["npm", "run", "build"], cwd=ROOT, check=True, timeout=300)
    _built = True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(port: int, path: str, timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class LedgerServer:
    """`node dist/main.js` with PORT, HOST, DATA_DIR and LOG_LEVEL set; restartable on the same port and data."""

    def __init__(self, extra_env: Optional[Dict[str, str]] = None) -> None:
        ensure_built()
        self.extra_env = dict(extra_env or {})
        self.data_dir = tempfile.mkdtemp(prefix="ledger-data-")
        self.log_dir = tempfile.mkdtemp(prefix="ledger-log-")
        self.port = free_port()
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 20.0) -> None:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env.update(PORT=str(self.port), HOST="127.0.0.1", DATA_DIR=self.data_dir, LOG_LEVEL="warn", **self.extra_env)
        with open(os.path.join(self.log_dir, "server.log"), "ab") as log:
            self.proc = subprocess.Popen(["node", "dist/main.js"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if http_status(self.port, "/health/ready") == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server was not ready within {ready_timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL, as a crash: no shutdown hook runs."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def log_tail(self) -> str:
        try:
            with open(os.path.join(self.log_dir, "server.log"), "rb") as log:
                return log.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"


T = TypeVar("T")


def poll_until(probe: Callable[[], T], done: Callable[[T], bool], timeout: float, what: str) -> T:
    """Calls `probe` every 0.1 s until `done` holds for its answer; fails the test after `timeout` seconds."""
    give_up = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() >= give_up:
            raise AssertionError(f"not {what} within {timeout} s; last answer: {value!r}")
        time.sleep(0.1)


def metric_value(port: int, name: str) -> float:
    """One unlabelled sample from GET /metrics (Prometheus text format)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        text = response.read().decode("utf-8")
    finally:
        conn.close()
    if response.status != 200:
        raise AssertionError(f"GET /metrics answered {response.status}: {text[:500]}")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"/metrics has no sample {name}")


@contextlib.contextmanager
def captured_warnings() -> Generator[List[str], None, None]:
    """The client's retry warnings while the block runs (assertNoLogs needs Python 3.10)."""
    lines: List[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("artifact_ledger")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


class _BytesSocket:
    def __init__(self, data: bytes) -> None:
        self._file = io.BytesIO(data)

    def makefile(self, *_args: Any, **_kwargs: Any) -> io.BytesIO:
        return self._file


def parse_response(raw: bytes) -> Tuple[int, http.client.HTTPMessage, bytes]:
    response = http.client.HTTPResponse(_BytesSocket(raw))  # type: ignore[arg-type]
    response.begin()
    return response.status, response.headers, response.read()


def request_header(raw_request: bytes, name: str) -> Optional[str]:
    head = raw_request.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


class DropFirstResponseProxy:
    """A TCP proxy that forwards each request, but swallows the server's first response and hangs up.

    That is a commit the server made durable whose answer never reached the client.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.05)  # accept() polls the stop flag: close() on another thread would not wake it
        self.port = int(self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.exchanges: List[Tuple[bytes, bytes]] = []
        self.errors: List[BaseException] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)
        self.listener.close()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            try:
                with client:
                    self._relay(client, drop=not self.exchanges)
            except Exception as error:  # noqa: BLE001 - reported through self.errors and asserted on
                self.errors.append(error)

    def _relay(self, client: socket.socket, drop: bool) -> None:
        client.settimeout(10)
        request = self._read_request(client)
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10) as upstream:
            upstream.sendall(request)
            chunks: List[bytes] = []
            while True:  # the client sends Connection: close, so the server ends the response with EOF
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        response = b"".join(chunks)
        self.exchanges.append((request, response))
        if drop:
            client.shutdown(socket.SHUT_RDWR)
        else:
            client.sendall(response)

    @staticmethod
    def _read_request(client: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                raise ConnectionError("client closed before sending a whole request head")
            data += chunk
        length = int(request_header(data, "Content-Length") or 0)
        head_length = data.index(b"\r\n\r\n") + 4
        while len(data) < head_length + length:
            chunk = client.recv(65536)
            if not chunk:
                raise ConnectionError("client closed in the middle of the request body")
            data += chunk
        return data


# ---------------------------------------------------------------------------------------------
# RFC 8785 canonical JSON and the Artifact helpers (no server).

class CanonicalJsonTest(unittest.TestCase):
    def test_numbers_are_written_like_ecmascript_number_to_string(self) -> None:
        vectors = [
            (1e21, "1e+21"), (1e-7, "1e-7"), (0.000001, "0.000001"),
            (123456789012345680000.0, "123456789012345680000"), (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"), (-0.0, "0"), (0.0, "0"), (4.5, "4.5"),
            (2 ** 53 + 1, "9007199254740992"), (1e20, "100000000000000000000"), (0.1, "0.1"),
            (-1.5e-9, "-1.5e-9"), (100, "100"), (1e30, "1e+30"), (1.5e-6, "0.0000015"), (123e-20, "1.23e-18"),
            (333333333.33333329, "333333333.3333333"), (9007199254740991, "9007199254740991"),
            (295147905179352830000.0, "295147905179352830000"), (-5e-324, "-5e-324"), (1e-6, "0.000001"),
        ]
        for value, expected in vectors:
            with self.subTest(value=value):
                self.assertEqual(format_number(float(value)), expected)
                self.assertEqual(canonical_json(value), expected)

    def test_rfc8785_examples(self) -> None:
        numbers = {"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                   "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/", "literals": [None, True, False]}
        self.assertEqual(canonical_json(numbers),
                         '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                         '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
        weird = {"1": {"f": {"f": "hi", "F": 5}, "\n": 56.0}, "10": {}, "": "empty", "a": {},
                 "111": [{"e": "yes", "E": "no"}], "A": {}}
        self.assertEqual(canonical_json(weird),
                         '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],'
                         '"A":{},"a":{}}')

    def test_object_keys_sort_by_utf16_code_units_not_code_points(self) -> None:
        # U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 in UTF-16.
        self.assertEqual(canonical_json({"\ufb33": 1, "\U0001F600": 2, "a": 3, "\u20ac": 4}),
                         '{"a":3,"\u20ac":4,"\U0001F600":2,"\ufb33":1}')

    def test_control_characters_escape_like_json_stringify(self) -> None:
        self.assertEqual(canonical_json("\x00\x08\t\n\x0c\r\x1f\x7f\u2028"),
                         '"\\u0000\\b\\t\\n\\f\\r\\u001f\x7f\u2028"')

    def test_values_without_a_json_form_are_refused(self) -> None:
        for bad in (float("nan"), float("inf"), [float("-inf")], 10 ** 400, "\ud800", {"\udc00": 1}):
            with self.subTest(value=repr(bad)):
                with self.assertRaises(ValueError):
                    canonical_json(bad)
        for wrong in ({1: "int key"}, {"set": {1, 2}}, b"bytes"):
            with self.subTest(value=repr(wrong)):
                with self.assertRaises(TypeError):
                    canonical_json(wrong)

    def test_numbers_match_the_servers_canonicalize_for_random_doubles(self) -> None:
        rng = random.Random(8785)
        values: List[float] = []
        while len(values) < 3000:
            value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if value == value and abs(value) != float("inf"):
                values.append(value)
        values += [rng.uniform(-1e6, 1e6) for _ in range(500)] + [float(rng.randint(-2 ** 60, 2 ** 60)) for _ in range(500)]
        script = ("const c = require('canonicalize'); let s = ''; process.stdin.on('data', d => s += d);"
                  "process.stdin.on('end', () => process.stdout.write(JSON.stringify(JSON.parse(s).map(x => c(Number(x))))))")
        done = subprocess.run(["node", "-e", script], cwd=ROOT, input=json.dumps([repr(v) for v in values]).encode(),
                              capture_output=True, timeout=30, check=True)
        expected = json.loads(done.stdout)
        mismatches = [(v, format_number(v), e) for v, e in zip(values, expected) if format_number(v) != e]
        self.assertEqual(mismatches[:5], [])


class ArtifactTest(unittest.TestCase):
    def test_an_artifact_has_exactly_one_kind_of_content(self) -> None:
        with self.assertRaises(ValueError):
            Artifact("a.txt")
        with self.assertRaises(ValueError):
            Artifact("a.txt", text="x", data=b"x")
        with self.assertRaises(TypeError):
            Artifact("a.txt", data="not bytes")  # type: ignore[arg-type]
        self.assertEqual(Artifact.from_json("null.json", None).stored_bytes(), b"null")
        self.assertEqual(Artifact.from_bytes("b.bin", bytearray(b"\x00\xff")).data, b"\x00\xff")

    def test_from_file_picks_json_text_or_bytes_by_suffix_and_content(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            def write(name: str, data: bytes) -> str:
                path = os.path.join(tmp, name)
                with open(path, "wb") as f:
                    f.write(data)
                return path

            parsed = Artifact.from_file("m.json", write("m.json", b'{ "b": 1.50, "a": [1] }'))
            self.assertEqual(parsed.json, {"b": 1.5, "a": [1]})
            self.assertEqual(parsed.stored_bytes(), b'{"a":[1],"b":1.5}')
            broken = Artifact.from_file("bad.json", write("bad.json", b'{"a": NaN}'))
            self.assertEqual(broken.data, b'{"a": NaN}')
            text = Artifact.from_file("notes.md", write("notes.md", "caf\u00e9\n".encode()))
            self.assertEqual(text.text, "caf\u00e9\n")
            latin1 = Artifact.from_file("old.txt", write("old.txt", b"caf\xe9"))
            self.assertEqual(latin1.data, b"caf\xe9")
            binary = Artifact.from_file("img.png", write("img.png", b"\x89PNG"))
            self.assertEqual((binary.data, binary.media_type), (b"\x89PNG", "image/png"))


# ---------------------------------------------------------------------------------------------
# Retry policy and verification against a scripted stub server (answers a live server never gives).

Reply = Tuple[int, Dict[str, str], bytes]


class StubServer:
    def __init__(self, replies: List[Reply]) -> None:
        self.replies = list(replies)
        self.requests: List[Tuple[str, str, Dict[str, str], bytes]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, headers, payload = stub.replies.pop(0) if stub.replies else (599, {}, b"script exhausted")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def problem(status: int, code: str, detail: str) -> Reply:
    body = json.dumps({"type": f"urn:artifact-ledger:problem:{code}", "title": "t", "status": status,
                       "detail": detail, "code": code}).encode()
    return status, {"Content-Type": "application/problem+json"}, body


def record_for(*artifacts: Artifact, sha256: Optional[str] = None) -> Reply:
    body = {"id": "c1", "seq": 1, "sessionId": "s", "kind": "artifacts", "state": "committed", "message": None,
            "metadata": None, "createdAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:00Z", "error": None,
            "artifacts": [{"name": a.name, "version": 1, "sha256": sha256 or a.sha256(),
                           "size": len(a.stored_bytes()), "mediaType": "application/json"} for a in artifacts],
            "expect": None, "close": None, "session": None}
    return 201, {"Content-Type": "application/json"}, json.dumps(body).encode()


def session_reply(state: Optional[str] = "open", **extra: Any) -> Reply:
    """A session record as the server writes it, with `extra` members added or replaced."""
    body = {"id": "s", "state": state, "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
            "completedAt": None, "deadline": "2026-01-02T00:00:00.000Z", "closedBy": None, "error": None, "headSeq": 1,
            "etag": '"1"', "metadata": None, "expectedArtifacts": [], "missing": [], "artifacts": [], **extra}
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


class RetryPolicyTest(unittest.TestCase):
    def stub(self, replies: List[Reply]) -> StubServer:
        server = StubServer(replies)
        self.addCleanup(server.close)
        return server

    def client(self, url: str, **kwargs: Any) -> LedgerClient:
        options: Dict[str, Any] = {"max_attempts": 4, "backoff_base": 0.01, "backoff_cap": 0.05, "timeout": 5}
        options.update(kwargs)
        return LedgerClient(url, **options)

    def test_5xx_and_429_are_retried_with_one_idempotency_key_and_the_same_body(self) -> None:
        artifact = Artifact.from_json("m.json", {"score": 1})
        stub = self.stub([problem(503, "not_ready", "recovering"), (429, {"Retry-After": "0"}, b"slow down"),
                          problem(500, "storage_fault", "EIO"), record_for(artifact)])
        with self.assertLogs("artifact_ledger", "WARNING") as logs:
            record = self.client(stub.url).commit("s", [artifact])
        self.assertEqual(record.id, "c1")
        self.assertEqual(len(stub.requests), 4)
        keys = {headers["idempotency-key"] for _, _, headers, _ in stub.requests}
        bodies = {body for _, _, _, body in stub.requests}
        self.assertEqual((len(keys), len(bodies)), (1, 1))
        self.assertEqual(len(logs.records), 3)
        self.assertTrue(all(keys.copy().pop() in line for line in logs.output))
        sent = json.loads(bodies.pop())
        self.assertEqual(sent["artifacts"][0], {"name": "m.json", "json": {"score": 1}, "sha256": artifact.sha256()})

    def test_507_is_raised_at_once(self) -> None:
        stub = self.stub([problem(507, "insufficient_storage", "disk full")])
        with self.assertRaises(InsufficientStorage) as caught:
            self.client(stub.url).commit("s", [Artifact.from_text("a.txt", "x")])
        self.assertEqual((caught.exception.status, caught.exception.code), (507, "insufficient_storage"))
        self.assertEqual(len(stub.requests), 1)

    def test_other_4xx_are_not_retried(self) -> None:
        stub = self.stub([problem(409, "idempotency_key_reused", "used for another body")])
        with self.assertRaises(IdempotencyKeyReused) as caught:
            self.client(stub.url).commit("s", [Artifact.from_text("a.txt", "x")], idempotency_key="k1")
        self.assertEqual(caught.exception.code, "idempotency_key_reused")
        self.assertIn("409 idempotency_key_reused: used for another body", str(caught.exception))
        self.assertEqual(stub.requests[0][2]["idempotency-key"], "k1")
        self.assertEqual(len(stub.requests), 1)

    def test_a_non_json_error_body_is_still_a_problem(self) -> None:
        stub = self.stub([(400, {"Content-Type": "text/html"}, b"<h1>proxy says no</h1>")])
        with self.assertRaises(LedgerProblem) as caught:
            self.client(stub.url).get_session("s")
        self.assertEqual((caught.exception.status, caught.exception.code), (400, None))
        self.assertEqual(caught.exception.detail, "<h1>proxy says no</h1>")
        self.assertEqual(caught.exception.problem, {})
        self.assertIs(type(caught.exception), LedgerProblem)

    def test_retry_after_is_honoured_but_capped(self) -> None:
        stub = self.stub([(503, {"Retry-After": "120"}, b""), session_reply()])
        started = time.monotonic()
        with self.assertLogs("artifact_ledger", "WARNING") as logs:
            self.assertEqual(self.client(stub.url, backoff_cap=0.1).get_session("s").id, "s")
        self.assertLess(time.monotonic() - started, 3)
        self.assertIn("retrying in 0.40s", logs.output[0])  # capped at 4 * backoff_cap

    def test_when_every_attempt_gets_a_5xx_the_last_problem_is_raised(self) -> None:
        stub = self.stub([problem(503, "not_ready", f"try {i}") for i in range(3)])
        with self.assertLogs("artifact_ledger", "WARNING"):
            with self.assertRaises(NotReady) as caught:
                self.client(stub.url, max_attempts=3).complete("s")
        self.assertEqual((caught.exception.status, caught.exception.detail, caught.exception.attempts), (503, "try 2", 3))
        self.assertEqual(len(stub.requests), 3)

    def test_expect_and_a_failure_report_are_retried_with_the_same_body(self) -> None:
        stub = self.stub([problem(503, "not_ready", "recovering"), session_reply(), problem(503, "not_ready", "recovering"),
                          session_reply("failed")])
        client = self.client(stub.url)
        with self.assertLogs("artifact_ledger", "WARNING") as logs:
            client.expect("s", ["a.txt", "b.txt"])
            client.fail("s", ("OOMKilled", "the tokenizer ran out of memory"))
        self.assertEqual(len(logs.records), 2)
        sent = [(method, path, json.loads(body)) for method, path, _, body in stub.requests]
        declared = ("POST", "/v1/sessions/s/expected", {"add": ["a.txt", "b.txt"]})
        reported = ("POST", "/v1/sessions/s/complete",
                    {"error": {"type": "OOMKilled", "message": "the tokenizer ran out of memory"}})
        self.assertEqual(sent, [declared, declared, reported, reported])

    def test_a_failure_report_names_the_exception_class_and_always_fits_the_servers_limits(self) -> None:
        stub = self.stub([session_reply("failed")] * 4)
        client = self.client(stub.url)
        try:
            json.loads("")
        except ValueError as error:
            client.fail("s", error)
        client.fail("s", ValueError("cannot read caf\udce9.txt"))  # a lone surrogate, as surrogateescape leaves
        client.fail("s", ("Timeout", "x" * 70_000))
        client.complete("s", error=KeyboardInterrupt())
        reports = [json.loads(body)["error"] for _, _, _, body in stub.requests]
        self.assertEqual(reports[0], {"type": "json.decoder.JSONDecodeError",
                                      "message": "Expecting value: line 1 column 1 (char 0)"})
        self.assertEqual(reports[1], {"type": "ValueError", "message": "cannot read caf\\udce9.txt"})
        self.assertEqual((len(reports[2]["message"]), reports[2]["message"][-1]), (65_536, "\u2026"))
        self.assertEqual(reports[3], {"type": "KeyboardInterrupt", "message": ""})
        # Refused before anything is sent.
        for bad in (None, "boom", ("only a type",), ("Type", 42), ValueError):
            with self.subTest(error=bad):
                with self.assertRaises(TypeError):
                    client.fail("s", bad)  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            client.fail("s", ("", "no type"))
        self.assertEqual(len(stub.requests), 4)

    def test_a_commit_record_with_another_digest_is_a_digest_mismatch(self) -> None:
        artifact = Artifact.from_text("a.txt", "hello")
        stub = self.stub([record_for(artifact, sha256="0" * 64)])
        with self.assertRaises(DigestMismatch) as caught:
            self.client(stub.url).commit("s", [artifact])
        self.assertEqual((caught.exception.name, caught.exception.expected, caught.exception.actual),
                         ("a.txt", artifact.sha256(), "0" * 64))

    def test_bytes_that_do_not_match_the_etag_are_a_digest_mismatch(self) -> None:
        wrong = hashlib.sha256(b"other").hexdigest()
        stub = self.stub([(200, {"ETag": f'"{wrong}"'}, b"payload"), (200, {"ETag": f'"{wrong}"'}, b"payload"),
                          (200, {}, b"payload")])
        client = self.client(stub.url)
        with self.assertRaises(DigestMismatch):
            client.get("s", "a.bin")
        with tempfile.TemporaryDirectory() as tmp:
            target = os.path.join(tmp, "a.bin")
            with open(target, "wb") as f:
                f.write(b"previous")
            with self.assertRaises(DigestMismatch):
                client.get_to_file("s", "a.bin", target)
            with open(target, "rb") as f:
                self.assertEqual(f.read(), b"previous")
            self.assertEqual(os.listdir(tmp), ["a.bin"])
        with self.assertRaisesRegex(DigestMismatch, "no sha-256 ETag or Repr-Digest"):
            client.get("s", "a.bin")


class AnswersAndProblemsTest(unittest.TestCase):
    """How answers become records and errors: tolerance, strictness, problem classes, failing health."""

    def stub(self, replies: List[Reply]) -> StubServer:
        server = StubServer(replies)
        self.addCleanup(server.close)
        return server

    def client(self, url: str, **kwargs: Any) -> LedgerClient:
        options: Dict[str, Any] = {"max_attempts": 2, "backoff_base": 0.01, "backoff_cap": 0.05, "timeout": 5}
        options.update(kwargs)
        return LedgerClient(url, **options)

    def test_fields_a_newer_server_adds_are_kept_in_raw_and_a_missing_or_mistyped_one_is_named(self) -> None:
        stub = self.stub([session_reply(futureField={"nested": True}), session_reply(state=None),
                          session_reply(headSeq="1"), session_reply(artifacts=[{"name": "a.txt"}])])
        client = self.client(stub.url)
        session = client.get_session("s")
        self.assertEqual((session.id, session.state, session.head_seq), ("s", "open", 1))
        self.assertEqual(session.raw["futureField"], {"nested": True})
        for expected in ("Session.state is null, expected a string", "Session.headSeq is a string, expected an integer",
                         "Session.artifacts[0].version is missing"):
            with self.subTest(expected=expected):
                with self.assertRaisesRegex(ContractMismatch, re.escape(expected)):
                    client.get_session("s")

    def test_each_problem_code_of_the_service_has_its_own_class_and_an_unknown_code_gets_the_base(self) -> None:
        table = (ROOT / "src" / "http" / "problem.ts").read_text(encoding="utf-8")
        section = table[table.index("STATUS_BY_CODE"):table.index("}", table.index("STATUS_BY_CODE"))]
        codes = dict(re.findall(r"^\s+([a-z0-9_]+): (\d{3}),", section, re.MULTILINE))
        self.assertGreater(len(codes), 40)
        without_class = sorted(code for code in codes if artifact_ledger.problem_class(code) is LedgerProblem)
        self.assertEqual(without_class, [], "problem codes of src/http/problem.ts with no exception class")
        for code in codes:
            self.assertEqual(artifact_ledger.PROBLEM_CLASSES[code].CODE, code)
        stub = self.stub([problem(409, "brand_new_code", "a code from a newer server"),
                          problem(422, "digest_mismatch", "stored bytes hash to b, the request said a")])
        client = self.client(stub.url)
        with self.assertRaises(LedgerProblem) as unknown:
            client.get_session("s")
        self.assertIs(type(unknown.exception), LedgerProblem)
        self.assertEqual((unknown.exception.status, unknown.exception.code), (409, "brand_new_code"))
        # The server's digest_mismatch is a DigestMismatch too: one except clause for either side's check.
        with self.assertRaises(DigestMismatch) as digest:
            client.get_session("s")
        server_side = digest.exception
        assert isinstance(server_side, ServerDigestMismatch)
        self.assertIsInstance(server_side, LedgerProblem)
        self.assertEqual(server_side.status, 422)

    def test_a_listing_whose_cursor_does_not_advance_is_a_contract_mismatch_not_an_endless_loop(self) -> None:
        page = {"sessions": [], "nextCursor": "s"}
        stub = self.stub([(200, {"Content-Type": "application/json"}, json.dumps(page).encode())] * 2)
        with self.assertRaisesRegex(ContractMismatch, "does not advance"):
            list(self.client(stub.url).iter_sessions())
        self.assertEqual([path for _, path, _, _ in stub.requests], ["/v1/sessions", "/v1/sessions?cursor=s"])

    def test_a_failing_readiness_probe_is_returned_at_once_not_retried_or_raised(self) -> None:
        report = {"status": "fail", "version": "0.1.0", "serviceId": "artifact-ledger", "description": "d",
                  "checks": {"recovery": [{"status": "pass", "time": "2026-01-01T00:00:00.000Z"}],
                             "disk:free": [{"status": "fail", "time": "2026-01-01T00:00:00.000Z",
                                            "observedValue": 1024, "observedUnit": "bytes", "output": "below reserve"}]}}
        health_json = {"Content-Type": "application/health+json; charset=utf-8"}
        stub = self.stub([(503, health_json, json.dumps(report).encode()), problem(503, "not_ready", "recovering")])
        client = self.client(stub.url, max_attempts=4)
        health = client.health()
        self.assertEqual((health.status, health.http_status, health.is_ok, health.failing()),
                         ("fail", 503, False, ["disk:free"]))
        self.assertEqual(health.checks["disk:free"][0].observed_value, 1024)
        self.assertEqual(len(stub.requests), 1)
        # A 503 that is not a health report (a proxy, a problem) is an error, also without retries.
        with self.assertRaises(NotReady):
            client.health()
        self.assertEqual(len(stub.requests), 2)

    def test_when_the_failure_cannot_be_reported_the_original_exception_still_propagates_with_a_note(self) -> None:
        stub = self.stub([session_reply(), problem(503, "not_ready", "recovering"), problem(503, "not_ready", "again")])
        client = self.client(stub.url)
        original = RuntimeError("the tokenizer crashed")
        with self.assertLogs("artifact_ledger", "WARNING") as logs:
            with self.assertRaises(RuntimeError) as caught:
                with client.session("s") as writer:
                    raise original
        self.assertIs(caught.exception, original)
        self.assertIsInstance(writer.report_error, NotReady)
        notes = getattr(original, "__notes__", [])
        self.assertEqual(len(notes), 1)
        self.assertIn("reporting this failure to session s failed too: NotReady: 503 not_ready: again", notes[0])
        self.assertTrue(any(notes[0] in line for line in logs.output))
        if sys.version_info >= (3, 11):
            self.assertIn(notes[0], "".join(traceback.format_exception(original)))
        sent = [(method, path, json.loads(body) if body else None) for method, path, _, body in stub.requests]
        report = {"error": {"type": "RuntimeError", "message": "the tokenizer crashed"}}
        self.assertEqual(sent, [("POST", "/v1/sessions/s/expected", {}), ("POST", "/v1/sessions/s/complete", report),
                                ("POST", "/v1/sessions/s/complete", report)])

    def test_a_session_block_refuses_a_session_that_is_already_closed(self) -> None:
        stub = self.stub([session_reply("complete", closedBy="writer")])
        with self.assertRaises(SessionNotOpen) as caught:
            with self.client(stub.url).session("s"):
                self.fail("the block must not run for a closed session")
        self.assertEqual(caught.exception.session.state, "complete")
        self.assertEqual(len(stub.requests), 1)  # nothing was completed or reported


class UnavailableTest(unittest.TestCase):
    def test_a_closed_port_raises_unavailable_after_max_attempts(self) -> None:
        client = LedgerClient(f"http://127.0.0.1:{free_port()}", max_attempts=4, backoff_base=0.01, backoff_cap=0.02)
        started = time.monotonic()
        with self.assertLogs("artifact_ledger", "WARNING") as logs:
            with self.assertRaises(LedgerUnavailable) as caught:
                client.commit("s", [Artifact.from_text("a.txt", "x")])
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual(caught.exception.attempts, 4)
        self.assertIsInstance(caught.exception, LedgerError)
        self.assertIsInstance(caught.exception.__cause__, ConnectionRefusedError)
        self.assertIn("no answer after 4 attempts", str(caught.exception))
        self.assertEqual(len(logs.records), 3)
        self.assertEqual(len({line.rsplit("Idempotency-Key ", 1)[1] for line in logs.output}), 1)

    def test_a_host_name_that_does_not_resolve_is_not_retried_but_a_temporary_dns_failure_is(self) -> None:
        client = LedgerClient("http://ledger.example.invalid:8080", max_attempts=3, backoff_base=0.01, backoff_cap=0.01)
        unknown = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        with mock.patch("socket.getaddrinfo", side_effect=unknown) as lookups:
            with self.assertRaises(LedgerUnavailable) as caught:
                client.status()
        self.assertEqual((caught.exception.attempts, lookups.call_count), (1, 1))
        self.assertIs(caught.exception.__cause__, unknown)
        temporary = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        with mock.patch("socket.getaddrinfo", side_effect=temporary) as lookups:
            with self.assertLogs("artifact_ledger", "WARNING"):
                with self.assertRaises(LedgerUnavailable) as caught:
                    client.status()
        self.assertEqual((caught.exception.attempts, lookups.call_count), (3, 3))

    def test_a_server_that_never_answers_times_out(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
            client = LedgerClient(f"http://127.0.0.1:{silent.getsockname()[1]}", max_attempts=2,
                                  backoff_base=0.01, backoff_cap=0.01, timeout=0.3)
            started = time.monotonic()
            with self.assertLogs("artifact_ledger", "WARNING"):
                with self.assertRaises(LedgerUnavailable) as caught:
                    client.get_session("s")
        self.assertLess(time.monotonic() - started, 3)
        self.assertIsInstance(caught.exception.__cause__, OSError)  # socket.timeout / TimeoutError


# ---------------------------------------------------------------------------------------------
# Against the live server.

class _ServerCase(unittest.TestCase):
    """One live server and a client with quick retries for all the tests of a class."""

    server: LedgerServer
    client: LedgerClient

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = LedgerServer()
        try:
            cls.server.start()
        except BaseException:
            cls.server.close()
            raise
        cls.client = LedgerClient(cls.server.url, max_attempts=3, backoff_base=0.05, backoff_cap=0.5, timeout=30)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()


class LiveLedgerTest(_ServerCase):
    scratch: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.scratch = tempfile.mkdtemp(prefix="ledger-client-test-")

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def write_scratch(self, name: str, data: bytes) -> str:
        path = os.path.join(self.scratch, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_issue_scenario_one_commit_covers_both_artifacts_and_complete_reports_the_missing_one(self) -> None:
        expected = ["quality_metrics.json", "session_summary.json", "feedback.txt"]
        opened = self.client.open_session("s1", expected_artifacts=expected, metadata={"pipeline": "writer"})
        self.assertEqual((opened.state, opened.expected_artifacts, sorted(opened.missing)),
                         ("open", tuple(expected), sorted(expected)))
        metrics = Artifact.from_json("quality_metrics.json", {"score": 0.93, "tokens": 18234, "rubric": {"b": 2, "a": 1}})
        summary = Artifact.from_json("session_summary.json", {"chapters": 12, "summary": "draft complete"})
        record = self.client.commit("s1", [metrics, summary], message="final metrics")
        self.assertEqual(record.state, "committed")
        self.assertEqual({a.name: a.sha256 for a in record.artifacts},
                         {"quality_metrics.json": metrics.sha256(), "session_summary.json": summary.sha256()})
        session = self.client.get_session("s1")
        self.assertEqual({a.name: a.commit_id for a in session.artifacts},
                         {"quality_metrics.json": record.id, "session_summary.json": record.id})
        self.assertEqual(session.missing, ("feedback.txt",))
        completed = self.client.complete("s1")
        self.assertEqual((completed.state, completed.missing), ("incomplete", ("feedback.txt",)))
        self.assertIsNotNone(completed.completed_at)
        self.assertEqual((completed.closed_by, completed.error), ("writer", None))
        # The log also holds the session's creation and its close; kind= keeps the commits of bytes.
        log = self.client.commits("s1", kind="artifacts").commits
        self.assertEqual([(c.id, c.state) for c in log], [(record.id, "committed")])
        closes = self.client.commits("s1", kind="close").commits
        self.assertEqual([(c.close.state, c.close.closed_by) for c in closes if c.close], [("incomplete", "writer")])

    def test_get_returns_the_exact_stored_bytes_of_each_kind(self) -> None:
        blob = bytes(range(256)) * 40
        artifacts = [Artifact.from_text("notes/summary.txt", "caf\u00e9 \U0001F600\n"),
                     Artifact.from_bytes("bin/blob.bin", blob, media_type="application/x-test"),
                     Artifact.from_json("m.json", [1, 2.5, None, {"z": True, "a": "x"}])]
        record = self.client.commit("get-1", artifacts)
        for artifact in artifacts:
            with self.subTest(name=artifact.name):
                self.assertEqual(self.client.get("get-1", artifact.name), artifact.stored_bytes())
        self.assertEqual(self.client.get("get-1", "m.json"), b'[1,2.5,null,{"a":"x","z":true}]')
        self.client.commit("get-1", [Artifact.from_bytes("bin/blob.bin", b"v2")])
        self.assertEqual(self.client.get("get-1", "bin/blob.bin"), b"v2")
        self.assertEqual(self.client.get("get-1", "bin/blob.bin", version=1), blob)
        self.assertEqual(self.client.get("get-1", "bin/blob.bin", at=record.seq), blob)
        target = os.path.join(self.scratch, "blob-copy.bin")
        self.assertEqual(self.client.get_to_file("get-1", "bin/blob.bin", target, version=1),
                         hashlib.sha256(blob).hexdigest())
        with open(target, "rb") as f:
            self.assertEqual(f.read(), blob)
        self.assertFalse([n for n in os.listdir(self.scratch) if n.endswith(".part")])

    def test_json_artifact_digest_matches_the_servers_canonical_form(self) -> None:
        value: Dict[str, Any] = {
            "\ufb33": "hebrew", "\U0001F600": "astral", "\u20ac": 1, "a": {"z": [], "y": {"\n": None, "": 0}},
            "numbers": [1e21, 1e-7, 0.000001, 123456789012345680000, 5e-324, 1.7976931348623157e308, -0.0, 4.5,
                        2 ** 53 + 1, 333333333.33333329, 0.1 + 0.2, -1e-300, 1.5e300, 10 ** 21, 12345.678],
            "nested": [[[{"b": [True, False, None], "a": "\u0000\u001f\"\\/"}]]],
        }
        artifact = Artifact.from_json("awkward.json", value)
        record = self.client.commit("jcs-1", [artifact])
        self.assertEqual(record.artifacts[0].sha256, hashlib.sha256(canonical_json(value).encode()).hexdigest())
        self.assertEqual(self.client.get("jcs-1", "awkward.json"), canonical_json(value).encode())

    def test_a_missing_artifact_is_a_404_problem(self) -> None:
        self.client.commit("missing-1", [Artifact.from_text("present.txt", "here")])
        with self.assertRaises(ArtifactNotFound) as caught:
            self.client.get("missing-1", "absent.txt")
        error = caught.exception
        self.assertEqual((error.status, error.code, error.title), (404, "artifact_not_found", "Not Found"))
        self.assertIn("absent.txt", error.detail)
        self.assertEqual(error.problem["status"], 404)
        self.assertIn("404 artifact_not_found", str(error))
        target = os.path.join(self.scratch, "absent.txt")
        with self.assertRaises(ArtifactNotFound):
            self.client.get_to_file("missing-1", "absent.txt", target)
        self.assertFalse(os.path.exists(target))
        with self.assertRaises(SessionNotFound) as no_session:
            self.client.get_session("no-such-session")
        self.assertEqual((no_session.exception.status, no_session.exception.code), (404, "session_not_found"))

    def test_a_bad_artifact_name_is_a_422_invalid_name(self) -> None:
        for bad in ("../escape.txt", "a b.txt", ".hidden"):
            with self.subTest(name=bad):
                with self.assertRaises(InvalidName) as caught:
                    self.client.commit("names-1", [Artifact.from_text(bad, "x")])
                self.assertEqual((caught.exception.status, caught.exception.code), (422, "invalid_name"))
                self.assertEqual(caught.exception.field, "artifacts[0].name")
                self.assertIsNotNone(caught.exception.commit_id)  # the refusal is in the log as a failed commit
        with self.assertRaises(InvalidName) as put:
            self.client.put_file("names-1", "a b.bin", self.write_scratch("bad-name.bin", b"x"))
        self.assertEqual((put.exception.status, put.exception.code), (422, "invalid_name"))
        with self.assertRaises(LedgerProblem) as sid:
            self.client.commit("bad session!", [Artifact.from_text("a.txt", "x")])
        self.assertEqual((sid.exception.status, sid.exception.code), (422, "invalid_session_id"))

    def test_contract_drift_is_a_400_naming_the_field(self) -> None:
        with self.assertRaises(ValidationFailed) as unknown:
            # A raw request as a drifted caller would send it: a field the contract does not have.
            self.client._call_json("POST", "/v1/sessions/drift-1/commits",
                                   {"artifacts": [{"name": "a.txt", "text": "x", "checksum": "abc"}]},
                                   {"Idempotency-Key": "drift"}, expect=(201,))
        error = unknown.exception
        self.assertEqual((error.status, error.code, error.field), (400, "validation_failed", "artifacts[0].checksum"))
        self.assertIn("unknown field artifacts[0].checksum", error.detail)
        with self.assertRaises(ValidationFailed) as metadata:
            self.client.commit("drift-1", [Artifact.from_text("a.txt", "x")], metadata=["not", "an", "object"])  # type: ignore[arg-type]
        self.assertEqual((metadata.exception.status, metadata.exception.field), (400, "metadata"))
        failed = self.client.commits("drift-1", state="failed").commits
        self.assertEqual(len(failed), 2)
        self.assertEqual(self.client.commits("drift-1", state="committed").commits, ())

    def test_put_file_streams_a_24_mib_file_and_get_returns_it(self) -> None:
        data = os.urandom(24 * MIB)
        path = self.write_scratch("big.bin", data)
        progress: List[Tuple[int, int]] = []
        record = self.client.put_file("big-1", "checkpoints/model.bin", path,
                                      progress=lambda sent, total: progress.append((sent, total)))
        digest = hashlib.sha256(data).hexdigest()
        self.assertEqual((record.state, record.artifacts[0].sha256, record.artifacts[0].size),
                         ("committed", digest, len(data)))
        self.assertEqual(record.artifacts[0].media_type, "application/octet-stream")
        self.assertEqual(progress[-1], (len(data), len(data)))
        self.assertEqual(len(progress), 24)  # one call per 1 MiB chunk: streamed, not sent in one piece
        self.assertEqual(self.client.get("big-1", "checkpoints/model.bin"), data)

        class RecordingFile(io.BytesIO):
            sizes: List[int] = []

            def read(self, size: Optional[int] = -1) -> bytes:
                self.sizes.append(-1 if size is None else size)
                return super().read(size)

        source = RecordingFile(data)
        source.seek(5)  # a file object is uploaded from where it stands
        again = self.client.put_file("big-1", "from-fileobj.bin", source)
        self.assertEqual(again.artifacts[0].sha256, hashlib.sha256(data[5:]).hexdigest())
        self.assertTrue(all(0 < size <= artifact_ledger.CHUNK_SIZE for size in RecordingFile.sizes))

    def test_put_file_preconditions_answer_412(self) -> None:
        first = self.write_scratch("v1.txt", b"version one\n")
        second = self.write_scratch("v2.txt", b"version two\n")
        v1 = self.client.put_file("cond-1", "doc.txt", first, create_only=True)
        self.assertEqual(v1.artifacts[0].media_type, "text/plain")
        with self.assertRaises(PreconditionFailed) as exists:
            self.client.put_file("cond-1", "doc.txt", second, create_only=True)
        self.assertEqual((exists.exception.status, exists.exception.code), (412, "precondition_failed"))
        v2 = self.client.put_file("cond-1", "doc.txt", second, if_match_sha256=v1.artifacts[0].sha256)
        self.assertEqual(v2.artifacts[0].version, 2)
        with self.assertRaises(PreconditionFailed) as stale:
            self.client.put_file("cond-1", "doc.txt", first, if_match_sha256=v1.artifacts[0].sha256)
        self.assertEqual(stale.exception.status, 412)
        self.assertEqual(self.client.get("cond-1", "doc.txt"), b"version two\n")

    def test_commit_if_match_refuses_a_stale_head(self) -> None:
        first = self.client.commit("head-1", [Artifact.from_text("a.txt", "1")])
        self.client.commit("head-1", [Artifact.from_text("a.txt", "2")], if_match=first.seq)
        with self.assertRaises(PreconditionFailed) as caught:
            self.client.commit("head-1", [Artifact.from_text("a.txt", "3")], if_match=first.seq)
        self.assertEqual((caught.exception.status, caught.exception.code), (412, "precondition_failed"))
        head = self.client.get_session("head-1").etag
        self.client.commit("head-1", [Artifact.from_text("a.txt", "3")], if_match=head)
        self.assertEqual(self.client.get("head-1", "a.txt"), b"3")

    def test_a_lost_response_is_retried_and_replays_the_original_commit(self) -> None:
        proxy = DropFirstResponseProxy(self.server.port)
        self.addCleanup(proxy.close)
        client = LedgerClient(proxy.url, max_attempts=4, backoff_base=0.05, backoff_cap=0.2, timeout=10)
        artifacts = [Artifact.from_json("quality_metrics.json", {"score": 0.5}),
                     Artifact.from_json("session_summary.json", {"ok": True})]
        with self.assertLogs("artifact_ledger", "WARNING") as logs:
            record = client.commit("lost-1", artifacts, message="once")
        proxy.close()
        self.assertEqual(proxy.errors, [])
        self.assertEqual(len(proxy.exchanges), 2)
        self.assertIn("RemoteDisconnected", logs.output[0])
        (first_request, first_response), (second_request, second_response) = proxy.exchanges
        key = request_header(first_request, "Idempotency-Key")
        self.assertIsNotNone(key)
        self.assertEqual(request_header(second_request, "Idempotency-Key"), key)
        self.assertEqual(first_request.split(b"\r\n\r\n", 1)[1], second_request.split(b"\r\n\r\n", 1)[1])
        status, headers, body = parse_response(first_response)
        self.assertEqual((status, headers.get("Idempotent-Replayed")), (201, None))
        original = json.loads(body)
        status, headers, _ = parse_response(second_response)
        self.assertEqual((status, headers.get("Idempotent-Replayed")), (201, "true"))
        self.assertEqual(record.id, original["id"])
        log = self.client.commits("lost-1").commits
        self.assertEqual([(c.id, c.state) for c in log], [(original["id"], "committed")])


# The incident's writer, run as its own process: it declares four outputs with a deadline 2 s ahead,
# commits two, and exits 0 without calling complete().
_VANISHING_WRITER = """
import sys
from datetime import datetime, timedelta, timezone

from artifact_ledger import Artifact, LedgerClient

url, session_id = sys.argv[1], sys.argv[2]
client = LedgerClient(url, max_attempts=3, backoff_base=0.05, timeout=10)
client.open_session(session_id, deadline=datetime.now(timezone.utc) + timedelta(seconds=2))
client.expect(session_id, ["chapter-1.txt", "chapter-2.txt", "chapter-3.txt", "summary.json"])
client.commit(session_id, [Artifact.from_text("chapter-1.txt", "one"), Artifact.from_text("chapter-2.txt", "two")])
"""


class WriterSessionTest(_ServerCase):
    """Deadlines, failure reports and atomic expectations: how a session ends when its writer does not say."""

    def test_a_writer_that_exits_without_completing_is_closed_incomplete_at_its_deadline(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "writer.py")
            with open(script, "w", encoding="utf-8") as f:
                f.write(_VANISHING_WRITER)
            env = dict(os.environ, PYTHONPATH=str(ROOT / "clients" / "python"))
            writer = subprocess.run([sys.executable, script, self.server.url, "vanished-1"], env=env,
                                    capture_output=True, timeout=30)
        self.assertEqual(writer.returncode, 0, writer.stderr.decode("utf-8", "replace"))

        # Every read closes what is due, so polling the session sees the close as soon as the deadline passes.
        session = poll_until(lambda: self.client.get_session("vanished-1"), lambda s: s.state != "open",
                             timeout=10, what="closed by its deadline")
        self.assertEqual((session.state, session.closed_by, session.error), ("incomplete", "deadline", None))
        self.assertEqual(sorted(session.missing), ["chapter-3.txt", "summary.json"])
        self.assertEqual(sorted(a.name for a in session.artifacts), ["chapter-1.txt", "chapter-2.txt"])
        assert session.completed_at is not None and session.deadline is not None
        self.assertGreaterEqual(session.completed_at, session.deadline)

        sessions = self.client.status().sessions
        self.assertGreaterEqual(sessions.incomplete, 1)
        self.assertGreaterEqual(sessions.closed_by_deadline, 1)
        self.assertIn("vanished-1", sessions.incomplete_ids)
        self.assertGreaterEqual(metric_value(self.server.port, "artifact_ledger_incomplete_sessions"), 1)
        self.assertGreaterEqual(metric_value(self.server.port, "artifact_ledger_sessions_closed_by_deadline"), 1)

        closes = self.client.commits("vanished-1", kind="close").commits
        self.assertEqual([(c.kind, c.close.closed_by, c.close.state) for c in closes if c.close],
                         [("close", "deadline", "incomplete")])
        self.assertEqual(sorted(closes[0].close.missing if closes[0].close else ()), ["chapter-3.txt", "summary.json"])

    def test_a_writer_that_raises_reports_the_failure_and_the_session_is_failed(self) -> None:
        self.client.expect("raised-1", ["tokens.json", "summary.json"])
        try:
            self.client.commit("raised-1", [Artifact.from_json("tokens.json", {"count": 18234})])
            raise ValueError("tokenizer blew up")
        except Exception as error:  # noqa: BLE001 - the pattern under test: report, whatever it was
            session = self.client.fail("raised-1", error)
        reported = WriterError("ValueError", "tokenizer blew up")
        self.assertEqual((session.state, session.closed_by, session.error), ("failed", "writer", reported))
        self.assertEqual(session.missing, ("summary.json",))
        # A repeated close (as a retry after a lost answer sends) changes nothing: the failure stands.
        again = self.client.complete("raised-1")
        self.assertEqual((again.state, again.error, again.completed_at),
                         ("failed", reported, session.completed_at))

        sessions = self.client.status().sessions
        self.assertGreaterEqual(sessions.failed, 1)
        self.assertIn("raised-1", sessions.failed_ids)
        self.assertGreaterEqual(metric_value(self.server.port, "artifact_ledger_failed_sessions"), 1)
        closes = self.client.commits("raised-1", kind="close").commits
        self.assertEqual([(c.close.state, c.close.error) for c in closes if c.close], [("failed", reported)])

    def test_a_failure_is_reported_even_before_anything_was_written(self) -> None:
        session = self.client.fail("raised-early-1", ("ConfigError", "no model path given"))
        self.assertEqual((session.state, session.error, session.artifacts),
                         ("failed", WriterError("ConfigError", "no model path given"), ()))
        with self.assertRaises(SessionNotFound) as unknown:
            self.client.complete("never-opened-1")  # a bare close of nothing is still a 404
        self.assertEqual((unknown.exception.status, unknown.exception.code), (404, "session_not_found"))

    def test_64_concurrent_expects_keep_every_name(self) -> None:
        names = [f"out-{i}.txt" for i in range(64)]
        start = threading.Barrier(len(names))

        def declare(name: str) -> Session:
            client = LedgerClient(self.server.url, max_attempts=5, backoff_base=0.05, backoff_cap=0.5, timeout=30)
            start.wait(timeout=20)  # all 64 requests leave together, the first ones racing to create the session
            return client.expect("fan-out-1", [name])

        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            answers = list(pool.map(declare, names, timeout=60))
        self.assertTrue(all(name in answer.expected_artifacts for name, answer in zip(names, answers)))
        session = self.client.get_session("fan-out-1")
        self.assertEqual(sorted(session.expected_artifacts), sorted(names))
        self.assertEqual(sorted(session.missing), sorted(names))
        entries = self.client.commits("fan-out-1", kind="expect", limit=1000).commits
        self.assertEqual(sorted(name for e in entries if e.expect for name in e.expect.add), sorted(names))

    def test_change_expected_adds_and_removes_in_one_step(self) -> None:
        self.client.expect("change-1", ["a.txt", "b.txt", "c.txt"])
        session = self.client.change_expected("change-1", add=["d.txt"], remove=["b.txt"])
        self.assertEqual(sorted(session.expected_artifacts), ["a.txt", "c.txt", "d.txt"])
        last = self.client.commits("change-1", kind="expect").commits[-1]
        self.assertEqual(last.expect, ExpectChange(add=("d.txt",), remove=("b.txt",)))
        with self.assertRaises(InvalidContent) as both:
            self.client.change_expected("change-1", add=["a.txt"], remove=["a.txt"])
        self.assertEqual((both.exception.status, both.exception.code, both.exception.field),
                         (400, "invalid_content", "remove[0]"))
        for call in (lambda: self.client.expect("change-1", "e.txt"),
                     lambda: self.client.change_expected("change-1", remove="a.txt")):
            with self.assertRaises(TypeError):
                call()
        self.assertEqual(sorted(self.client.get_session("change-1").expected_artifacts), ["a.txt", "c.txt", "d.txt"])

    def test_open_session_checks_the_deadline_and_if_match(self) -> None:
        with self.assertRaises(DeadlinePassed) as past:
            self.client.open_session("deadline-1", deadline=datetime.now(timezone.utc) - timedelta(minutes=1))
        self.assertEqual((past.exception.status, past.exception.code, past.exception.field),
                         (422, "deadline_passed", "deadline"))
        with mock.patch.object(self.client, "_perform") as perform:
            with self.assertRaisesRegex(TypeError, "timezone-aware"):
                self.client.open_session("deadline-1", deadline=datetime.now() + timedelta(hours=1))
            with self.assertRaises(TypeError):
                self.client.open_session("deadline-1", deadline=1_900_000_000)  # type: ignore[arg-type]
        perform.assert_not_called()

        # An aware datetime in any zone names one instant; the record holds it in UTC (to the millisecond).
        ahead = datetime.now(timezone(timedelta(hours=-7))) + timedelta(hours=2)
        opened = self.client.open_session("deadline-1", deadline=ahead)
        assert opened.deadline is not None
        self.assertLess(abs(opened.deadline - ahead), timedelta(milliseconds=1))
        moved = self.client.open_session("deadline-1", deadline="2099-01-01T00:00:00+02:00")
        self.assertEqual(moved.deadline, datetime(2098, 12, 31, 22, tzinfo=timezone.utc))
        self.assertEqual(moved.raw["deadline"], "2098-12-31T22:00:00.000Z")

        with self.assertRaises(PreconditionFailed) as stale:
            self.client.open_session("deadline-1", metadata={"owner": "late"}, if_match=opened.etag)
        self.assertEqual((stale.exception.status, stale.exception.code), (412, "precondition_failed"))
        current = self.client.open_session("deadline-1", metadata={"owner": "on time"}, if_match=moved.etag)
        self.assertEqual(current.metadata, {"owner": "on time"})

        self.client.complete("deadline-1")
        with self.assertRaises(SessionClosed) as closed:
            self.client.open_session("deadline-1", deadline="2099-06-01T00:00:00Z")
        self.assertEqual((closed.exception.status, closed.exception.code), (409, "session_closed"))

    def test_expected_artifacts_in_open_session_replace_the_set(self) -> None:
        self.client.expect("replace-1", ["a.txt", "b.txt"])
        replaced = self.client.open_session("replace-1", expected_artifacts=["c.txt"])
        self.assertEqual(replaced.expected_artifacts, ("c.txt",))

    def test_a_commit_can_add_expected_names_in_its_own_transaction(self) -> None:
        record = self.client.commit("commit-expect-1", [Artifact.from_text("part-1.txt", "1")],
                                    expect=["part-1.txt", "part-2.txt"])
        assert record.expect is not None
        self.assertEqual((record.kind, sorted(record.expect.add)), ("artifacts", ["part-1.txt", "part-2.txt"]))
        session = self.client.get_session("commit-expect-1")
        self.assertEqual((sorted(session.expected_artifacts), session.missing),
                         (["part-1.txt", "part-2.txt"], ("part-2.txt",)))
        self.assertEqual(self.client.commits("commit-expect-1", kind="expect").commits, ())
        with self.assertRaises(TypeError):
            self.client.commit("commit-expect-1", [Artifact.from_text("part-2.txt", "2")], expect="part-3.txt")


class DeletionTest(_ServerCase):
    """delete_artifact and delete_session against the live server: the entry, a repeat, and the 410s."""

    def test_deletes_an_artifact_then_its_session_and_reads_raise_their_codes(self) -> None:
        from artifact_ledger import ArtifactDeleted, Held, SessionDeleted
        self.client.commit("py-delete-1", [Artifact.from_text("a.txt", "one"), Artifact.from_text("b.txt", "two")])
        entry = self.client.delete_artifact("py-delete-1", "a.txt")
        assert entry is not None
        self.assertEqual(entry.kind, "delete")
        self.assertEqual(entry.delete, {"by": "anonymous", "target": "artifact", "name": "a.txt", "removedVersions": 1})
        self.assertIsNone(self.client.delete_artifact("py-delete-1", "a.txt"))
        with self.assertRaises(ArtifactDeleted) as gone:
            self.client.get("py-delete-1", "a.txt")
        self.assertEqual(gone.exception.status, 410)
        with self.assertRaises(ArtifactNotFound):
            self.client.delete_artifact("py-delete-1", "never.txt")
        self.assertEqual(self.client.commits("py-delete-1", kind="delete").commits[0].seq, entry.seq)

        held = self.client.open_session("py-delete-1", hold=True, retention={"keepVersions": 2})
        self.assertEqual((held.hold, held.retention), (True, {"keepVersions": 2}))
        with self.assertRaises(Held):
            self.client.delete_session("py-delete-1")
        self.client.open_session("py-delete-1", hold=False)
        session = self.client.delete_session("py-delete-1")
        assert session is not None
        self.assertEqual(session.delete["target"] if session.delete else None, "session")
        self.assertIsNone(self.client.delete_session("py-delete-1"))
        self.assertEqual(self.client.get_session("py-delete-1").state, "deleted")
        self.assertEqual(self.client.status().sessions.deleted >= 1, True)
        with self.assertRaises(SessionDeleted):
            self.client.commit("py-delete-1", [Artifact.from_text("c.txt", "late")])


class SessionBlockTest(_ServerCase):
    """`with client.session(...) as s:` against the live server: complete, incomplete, failed, streamed."""

    def setUp(self) -> None:
        self.scratch = tempfile.mkdtemp(prefix="ledger-block-test-")
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def write_scratch(self, name: str, data: bytes) -> str:
        path = os.path.join(self.scratch, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_a_clean_exit_with_every_output_saved_completes_the_session(self) -> None:
        outputs = ["quality_metrics.json", "summary.txt", "raw.bin", "notes/config.json"]
        config = b'{ "layers": 12,\n  "lr": 0.001 }\n'  # saved as the file's exact bytes, not re-serialized
        deadline = datetime.now(timezone.utc) + timedelta(hours=1)
        with self.client.session("block-ok-1", expect=outputs, deadline=deadline, metadata={"step": "eval"}) as s:
            assert s.session is not None
            self.assertEqual((s.session.state, sorted(s.session.missing)), ("open", sorted(outputs)))
            metrics = s.save_json("quality_metrics.json", {"score": 0.93, "tokens": 18234})
            s.save_text("summary.txt", "all good")
            s.save_bytes("raw.bin", b"\x00\x01\xff")
            stored = s.save_file("notes/config.json", self.write_scratch("config.json", config))
        assert s.session is not None
        self.assertEqual((s.session.state, s.session.closed_by, s.session.missing, s.session.error),
                         ("complete", "writer", (), None))
        self.assertEqual(self.client.get_session("block-ok-1").state, "complete")
        self.assertEqual([c.artifacts[0].name for c in s.commits], outputs)
        self.assertIsInstance(metrics, CommitRecord)
        self.assertEqual(stored.artifacts[0].sha256, hashlib.sha256(config).hexdigest())
        self.assertEqual(stored.artifacts[0].media_type, "application/json")
        self.assertEqual(self.client.get("block-ok-1", "notes/config.json"), config)
        assert s.session.deadline is not None
        self.assertLess(abs(s.session.deadline - deadline), timedelta(milliseconds=1))
        self.assertEqual(s.session.metadata, {"step": "eval"})

    def test_a_clean_exit_with_an_output_missing_raises_session_incomplete(self) -> None:
        with self.assertRaises(SessionIncomplete) as caught:
            with self.client.session("block-missing-1", expect=["tokens.json", "summary.json"]) as s:
                s.save_json("tokens.json", {"count": 18234})
                s.expect(["chapter-1.txt"])  # declared half-way through: still an addition
        error = caught.exception
        self.assertIsInstance(error, LedgerError)
        self.assertEqual((error.session_id, error.missing), ("block-missing-1", ("summary.json", "chapter-1.txt")))
        self.assertIn("missing summary.json, chapter-1.txt", str(error))
        session = self.client.get_session("block-missing-1")
        self.assertEqual((session.state, session.closed_by, session.missing),
                         ("incomplete", "writer", ("summary.json", "chapter-1.txt")))
        self.assertEqual(error.session, s.session)

    def test_an_exception_in_the_block_fails_the_session_and_the_same_exception_propagates(self) -> None:
        original = ValueError("tokenizer blew up")
        with self.assertRaises(ValueError) as caught:
            with self.client.session("block-raise-1", expect=["tokens.json", "summary.json"]) as s:
                s.save_json("tokens.json", {"count": 18234})
                raise original
        self.assertIs(caught.exception, original)
        self.assertIsNone(getattr(original, "__notes__", None))  # the report went through: nothing to add
        self.assertIsNone(s.report_error)
        session = self.client.get_session("block-raise-1")
        self.assertEqual((session.state, session.closed_by, session.error, session.missing),
                         ("failed", "writer", WriterError("ValueError", "tokenizer blew up"), ("summary.json",)))
        self.assertEqual(s.session, session)

    def test_keyboard_interrupt_and_system_exit_are_reported_as_failures_and_re_raised(self) -> None:
        for session_id, leaving in (("block-interrupt-1", KeyboardInterrupt()), ("block-exit-1", SystemExit(3))):
            with self.subTest(exception=type(leaving).__name__):
                with self.assertRaises(type(leaving)) as caught:
                    with self.client.session(session_id, expect=["out.txt"]):
                        raise leaving
                self.assertIs(caught.exception, leaving)
                session = self.client.get_session(session_id)
                self.assertEqual((session.state, session.error),
                                 ("failed", WriterError(type(leaving).__name__, str(leaving))))

    def test_save_file_streams_a_file_over_the_threshold_with_put_and_commits_a_smaller_one(self) -> None:
        self.assertEqual(DEFAULT_STREAM_OVER, 8 * MIB)  # the CLI's --stream-over default
        big = os.urandom(DEFAULT_STREAM_OVER + 1)
        big_path = self.write_scratch("model.bin", big)
        small_path = self.write_scratch("loss.csv", b"step,loss\n1,0.5\n")
        with mock.patch.object(self.client, "_perform", wraps=self.client._perform) as perform:
            with self.client.session("block-stream-1", expect=["checkpoints/model.bin", "loss.csv"]) as s:
                streamed = s.save_file("checkpoints/model.bin", big_path)
                committed = s.save_file("loss.csv", small_path)
        sent = [(call.args[0], call.args[1]) for call in perform.call_args_list]
        self.assertEqual(sent, [("POST", "/v1/sessions/block-stream-1/expected"),
                                ("PUT", "/v1/sessions/block-stream-1/artifacts/checkpoints/model.bin"),
                                ("POST", "/v1/sessions/block-stream-1/commits"),
                                ("POST", "/v1/sessions/block-stream-1/complete")])
        self.assertEqual((streamed.artifacts[0].sha256, streamed.artifacts[0].size),
                         (hashlib.sha256(big).hexdigest(), len(big)))
        self.assertEqual(committed.artifacts[0].media_type, "text/csv")
        assert s.session is not None
        self.assertEqual(s.session.state, "complete")
        self.assertEqual(self.client.get("block-stream-1", "checkpoints/model.bin"), big)

    def test_a_small_json_file_that_does_not_parse_is_refused_before_anything_is_sent(self) -> None:
        truncated = self.write_scratch("metrics.json", b'{"score": 0.9')
        with self.assertRaisesRegex(ValueError, "is not valid JSON") as caught:
            with self.client.session("block-bad-json-1", expect=["metrics.json"]) as s:
                s.save_file("metrics.json", truncated)
        session = self.client.get_session("block-bad-json-1")
        self.assertEqual((session.state, session.artifacts), ("failed", ()))
        self.assertEqual(session.error, WriterError("ValueError", str(caught.exception)))


class ContractTest(_ServerCase):
    """Typed records from real answers, listings page by page, verify and health, one exception per problem code."""

    def test_records_parse_the_servers_real_answers(self) -> None:
        record = self.client.commit("typed-1", [Artifact.from_json("m.json", {"a": 1}), Artifact.from_text("t.txt", "x")],
                                    message="typed", metadata={"run": 1}, expect=["m.json", "later.txt"])
        self.assertIsInstance(record, CommitRecord)
        self.assertEqual((record.session_id, record.kind, record.state, record.message, record.metadata),
                         ("typed-1", "artifacts", "committed", "typed", {"run": 1}))
        self.assertEqual(record.created_at.tzinfo, timezone.utc)
        assert record.expect is not None and record.finished_at is not None
        self.assertEqual(sorted(record.expect.add), ["later.txt", "m.json"])
        self.assertEqual((record.close, record.session, record.error, record.transitions), (None, None, None, ()))
        text = record.artifact("t.txt")
        assert text is not None
        self.assertEqual((text.version, text.size, text.media_type), (1, 1, "text/plain; charset=utf-8"))
        self.assertEqual(record.raw["sessionId"], "typed-1")

        detailed = self.client.get_commit(record.id)
        self.assertEqual(dataclasses.replace(detailed, transitions=()), record)
        self.assertEqual([t.to_state for t in detailed.transitions][-1], "committed")

        session = self.client.get_session("typed-1")
        self.assertIsInstance(session, Session)
        self.assertEqual((session.state, session.head_seq, session.missing), ("open", record.seq, ("later.txt",)))
        self.assertEqual(session.etag, f'"{record.seq}"')
        version = session.artifact("m.json")
        assert version is not None
        self.assertEqual((version.commit_id, version.seq, version.sha256),
                         (record.id, record.seq, Artifact.from_json("m.json", {"a": 1}).sha256()))

        self.client.commit("typed-1", [Artifact.from_json("m.json", {"a": 2})])
        listing = self.client.artifacts("typed-1")
        self.assertIsInstance(listing, ArtifactList)
        self.assertEqual(sorted((a.name, a.version) for a in listing.artifacts), [("m.json", 2), ("t.txt", 1)])
        before = self.client.artifacts("typed-1", at=record.seq)
        self.assertEqual((before.at_seq, sorted((a.name, a.version) for a in before.artifacts)),
                         (record.seq, [("m.json", 1), ("t.txt", 1)]))
        history = self.client.versions("typed-1", "m.json")
        self.assertIsInstance(history, VersionHistory)
        self.assertEqual([v.version for v in history.versions], [1, 2])

        closed = self.client.complete("typed-1")
        entry = self.client.commits("typed-1", kind="close").commits[-1]
        assert entry.close is not None
        self.assertEqual((entry.close.state, entry.close.closed_by, entry.close.missing, entry.close.error),
                         (closed.state, "writer", ("later.txt",), None))
        created = self.client.commits("typed-1", kind="expect").commits
        self.assertEqual(created, ())  # the commit's own expect is part of the commit entry

        status = self.client.status()
        self.assertIsInstance(status, Status)
        self.assertGreaterEqual(status.commits.committed, 2)
        self.assertEqual((status.service, status.phase), ("artifact-ledger", "ready"))
        assert status.last_commit is not None
        self.assertGreaterEqual(status.last_commit.seq, record.seq)
        self.assertIn("typed-1", status.sessions.incomplete_ids)

    def test_listings_paginate_and_the_iterators_walk_every_page(self) -> None:
        ids = [f"page-{i}" for i in range(5)]
        for session_id in ids:
            self.client.expect(session_id, ["out.txt"])
        self.client.commit("page-0", [Artifact.from_text("out.txt", "done")])
        self.client.complete("page-0")

        first = self.client.sessions(limit=2)
        self.assertIsInstance(first, SessionPage)
        self.assertEqual(len(first.sessions), 2)
        self.assertIsNotNone(first.next_cursor)
        second = self.client.sessions(limit=2, cursor=first.next_cursor)
        self.assertTrue({s.id for s in first.sessions}.isdisjoint(s.id for s in second.sessions))
        walked = [s.id for s in self.client.iter_sessions(page_size=2)]
        self.assertEqual(walked, sorted(walked))
        self.assertEqual([i for i in walked if re.fullmatch(r"page-\d", i)], ids)
        self.assertEqual(len(walked), len(set(walked)))
        complete = [s.id for s in self.client.iter_sessions(state="complete", page_size=1)]
        self.assertIn("page-0", complete)
        self.assertFalse(set(ids[1:]) & set(complete))

        for i in range(4):
            self.client.commit("page-log-1", [Artifact.from_text(f"part-{i}.txt", str(i))])
        page = self.client.commits("page-log-1", limit=2)
        self.assertIsInstance(page, CommitPage)
        self.assertEqual(len(page.commits), 2)
        self.assertIsNotNone(page.next_cursor)
        everything = self.client.commits("page-log-1", limit=1000).commits
        walked_log = list(self.client.iter_commits("page-log-1", page_size=2))
        self.assertEqual(walked_log, list(everything))
        self.assertEqual([c.seq for c in walked_log], sorted(c.seq for c in walked_log))
        only_bytes = list(self.client.iter_commits("page-log-1", kind="artifacts", page_size=3))
        self.assertEqual([c.artifacts[0].name for c in only_bytes], [f"part-{i}.txt" for i in range(4)])

    def test_verify_and_health_answer_typed_reports(self) -> None:
        self.client.commit("verify-1", [Artifact.from_text("a.txt", "verify me")])
        report = self.client.verify()
        self.assertIsInstance(report, VerifyReport)
        self.assertEqual((report.ok, report.repair, report.session_id, report.missing, report.corrupt),
                         (True, True, None, (), ()))
        self.assertGreaterEqual(report.checked.objects, 1)
        one = self.client.verify("verify-1", repair=False)
        self.assertEqual((one.session_id, one.ok, one.repair, one.checked.plain_files), ("verify-1", True, False, 1))
        with self.assertRaises(SessionNotFound):
            self.client.verify("no-such-session-to-verify")

        ready = self.client.health()
        self.assertIsInstance(ready, Health)
        self.assertEqual((ready.status, ready.http_status, ready.is_ok, ready.failing()), ("pass", 200, True, []))
        self.assertIn("database:writable", ready.checks)
        self.assertEqual(ready.version, artifact_ledger.__version__)
        live = self.client.live()
        self.assertEqual((live.status, live.http_status), ("pass", 200))

    def test_each_refusal_raises_the_class_of_its_problem_code(self) -> None:
        with self.assertRaises(SessionNotFound) as missing:
            self.client.get_session("no-such-session-2")
        self.assertEqual((missing.exception.status, missing.exception.code), (404, "session_not_found"))
        self.client.commit("codes-1", [Artifact.from_text("a.txt", "1")])
        with self.assertRaises(ArtifactNotFound):
            self.client.get("codes-1", "b.txt")
        with self.assertRaises(PreconditionFailed) as stale:
            self.client.commit("codes-1", [Artifact.from_text("a.txt", "2")], if_match=0)
        self.assertEqual(stale.exception.status, 412)
        with self.assertRaises(DeadlinePassed) as past:
            with self.client.session("codes-2", deadline="2000-01-01T00:00:00Z"):
                self.fail("the block must not run when its session cannot be opened")
        self.assertEqual((past.exception.status, past.exception.field), (422, "deadline"))
        with self.assertRaises(InvalidName):
            self.client.commit("codes-1", [Artifact.from_text("../up.txt", "x")])

        # Bodies a drifted caller could send, raw: this client itself never sends them.
        def post(body: bytes) -> None:
            path = "/v1/sessions/codes-1/commits"
            headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), "Idempotency-Key": hashlib.sha256(body).hexdigest()}
            self.client._json_answer(self.client._perform("POST", path, headers, body), "POST", path, (201,))

        with self.assertRaises(DuplicateMemberName) as duplicate:
            post(b'{"artifacts":[{"name":"a.txt","text":"x"}],"message":"one","message":"two"}')
        self.assertEqual((duplicate.exception.status, duplicate.exception.field), (400, "message"))
        with self.assertRaises(InexactNumber) as inexact:
            post(b'{"artifacts":[{"name":"n.json","json":9007199254740993}]}')
        self.assertEqual(inexact.exception.status, 400)
        with self.assertRaises(ValidationFailed):
            post(b'{"artifacts":[{"name":"a.txt","text":"x","checksum":"abc"}]}')
        wrong = "0" * 64
        with self.assertRaises(ServerDigestMismatch) as digest:
            post(canonical_json({"artifacts": [{"name": "a.txt", "text": "x", "sha256": wrong}]}).encode())
        self.assertIsInstance(digest.exception, DigestMismatch)
        self.assertEqual((digest.exception.status, digest.exception.name, digest.exception.expected,
                          digest.exception.actual), (422, "a.txt", wrong, hashlib.sha256(b"x").hexdigest()))
        self.assertIsNotNone(digest.exception.commit_id)  # the refusal is a failed commit in the log


class VersionTest(unittest.TestCase):
    def test_the_client_has_the_services_version(self) -> None:
        package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
        self.assertEqual(artifact_ledger.__version__, package["version"])
        pyproject = (ROOT / "clients" / "python" / "pyproject.toml").read_text(encoding="utf-8")
        self.assertIn('version = { attr = "artifact_ledger.version.__version__" }', pyproject)


# Run with the venv's interpreter, from a temp directory, without PYTHONPATH: it must find the installed package.
_INSTALLED_WRITER = """
import os, sys
import artifact_ledger
from artifact_ledger import LedgerClient, SessionIncomplete

url, session_id = sys.argv[1], sys.argv[2]
client = LedgerClient(url, max_attempts=3, backoff_base=0.05, timeout=10)
with client.session(session_id, expect=["metrics.json", "summary.txt"]) as s:
    s.save_json("metrics.json", {"score": 0.93})
    s.save_text("summary.txt", "installed")
print(os.path.dirname(os.path.abspath(artifact_ledger.__file__)))
print(s.session.state)
try:
    with client.session(session_id + "-incomplete", expect=["never.txt"]):
        pass
except SessionIncomplete as error:
    print("incomplete", ",".join(error.missing))
"""


#: Where Debian keeps wheels for venvs (python3-wheel-whl, python3-setuptools-whl): an offline source of build tools.
_LOCAL_WHEELS = "/usr/share/python-wheels"

# In the new venv: its setuptools version, and whether it can build a wheel (setuptools >= 70.1 alone, or `wheel`).
_BUILD_TOOLS_PROBE = """
import importlib.util as u
try:
    import setuptools
except ImportError:
    print("none")
else:
    print(setuptools.__version__, bool(u.find_spec("setuptools.command.bdist_wheel") or u.find_spec("wheel")))
"""


def _venv_missing() -> Optional[str]:
    """Why `python -m venv` cannot make a venv with pip here, or None when it can."""
    import importlib.util
    for module in ("venv", "ensurepip"):
        if importlib.util.find_spec(module) is None:
            return f"the {module} module is missing (Debian: apt-get install python3-venv)"
    return None


class PackagingTest(_ServerCase):
    """`pip install clients/python` into a fresh venv, offline, and use the installed copy."""

    def unavailable(self, why: str) -> None:
        if os.environ.get("REQUIRE_PYTHON_VENV") == "1":
            self.fail(f"REQUIRE_PYTHON_VENV=1 but {why}")
        self.skipTest(why)

    def test_pip_installs_the_package_offline_and_the_installed_copy_runs_a_session_block(self) -> None:
        missing = _venv_missing()
        if missing is not None:
            self.unavailable(f"cannot create a venv: {missing}")
        with tempfile.TemporaryDirectory(prefix="ledger-venv-test-") as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
            env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")

            def run(*command: str, timeout: float = 300) -> str:
                done = subprocess.run(list(command), cwd=tmp, env=env, capture_output=True, timeout=timeout)
                output = (done.stdout + done.stderr).decode("utf-8", "replace")
                self.assertEqual(done.returncode, 0, f"{' '.join(command)} failed:\n{output[-4000:]}")
                return done.stdout.decode("utf-8", "replace")

            venv = os.path.join(tmp, "venv")
            run(sys.executable, "-m", "venv", venv)
            python = os.path.join(venv, "bin", "python")
            # --no-index: nothing may come from an index, as on a machine without one. --no-build-isolation: the
            # build uses the venv's own setuptools (ensurepip puts it there up to Python 3.11); below 70.1
            # setuptools also needs `wheel`, which ensurepip does not install: it comes from Debian's wheel.
            tools = run(python, "-c", _BUILD_TOOLS_PROBE).split()
            if tools == ["none"]:
                self.unavailable(f"a new venv of {sys.executable} has no setuptools (Python 3.12 and later)")
            if int(tools[0].split(".")[0]) < 61:
                self.unavailable(f"a new venv of {sys.executable} has setuptools {tools[0]}, older than the 61 "
                                 "that reads pyproject.toml")
            if tools[1] == "False":
                if not any(n.startswith("wheel-") for n in (os.listdir(_LOCAL_WHEELS) if os.path.isdir(_LOCAL_WHEELS) else [])):
                    self.unavailable(f"setuptools {tools[0]} needs the wheel package to build, and {_LOCAL_WHEELS} "
                                     "has no wheel-*.whl (Debian: apt-get install python3-wheel-whl)")
                run(python, "-m", "pip", "install", "--no-index", "--find-links", _LOCAL_WHEELS, "wheel")
            # pip builds a directory in place (build/, *.egg-info beside the sources): build a copy of the
            # package's own files, so the test writes nothing into the repository and no stale build/ ships.
            source = os.path.join(tmp, "clients-python")
            shutil.copytree(ROOT / "clients" / "python", source,
                            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "test_*.py"))
            run(python, "-m", "pip", "install", "--no-index", "--no-build-isolation", source)
            script = os.path.join(tmp, "writer.py")
            with open(script, "w", encoding="utf-8") as f:
                f.write(_INSTALLED_WRITER)
            lines = run(python, script, self.server.url, "installed-1", timeout=60).splitlines()
            package_dir = os.path.realpath(lines[0])
            self.assertTrue(package_dir.startswith(os.path.realpath(venv) + os.sep), package_dir)
            self.assertIn("site-packages", package_dir)
            self.assertTrue(os.path.exists(os.path.join(package_dir, "py.typed")))
            self.assertEqual(lines[1:], ["complete", "incomplete never.txt"])
        self.assertEqual(self.client.get_session("installed-1").state, "complete")
        self.assertEqual(self.client.get("installed-1", "summary.txt"), b"installed")


class DefaultDeadlineTest(unittest.TestCase):
    """A server whose sessions close 1 s after creation unless they name a deadline."""

    def test_a_session_that_names_no_deadline_is_closed_at_the_servers_default(self) -> None:
        server = LedgerServer({"SESSION_DEADLINE_SECONDS": "1"})
        self.addCleanup(server.close)
        server.start()
        client = LedgerClient(server.url, max_attempts=3, backoff_base=0.05, timeout=30)
        created = client.expect("default-1", ["a.txt"])
        assert created.deadline is not None
        self.assertAlmostEqual((created.deadline - created.created_at).total_seconds(), 1, delta=0.05)
        client.open_session("own-deadline-1", expected_artifacts=["a.txt"],
                            deadline=datetime.now(timezone.utc) + timedelta(hours=1))
        closed = poll_until(lambda: client.get_session("default-1"), lambda s: s.state != "open",
                            timeout=10, what="closed by the default deadline")
        self.assertEqual((closed.state, closed.closed_by, closed.missing), ("incomplete", "deadline", ("a.txt",)))
        self.assertEqual(client.get_session("own-deadline-1").state, "open")


class CrashRestartTest(unittest.TestCase):
    """SIGKILL the server in the middle of a streamed upload; restart it; the client's retry lands once."""

    def setUp(self) -> None:
        self.server = LedgerServer()
        self.addCleanup(self.server.close)
        self.server.start()
        self.scratch = tempfile.mkdtemp(prefix="ledger-crash-test-")
        self.addCleanup(shutil.rmtree, self.scratch, True)

    def test_a_server_killed_mid_upload_is_retried_with_the_same_key_and_commits_exactly_once(self) -> None:
        data = os.urandom(16 * MIB)
        path = os.path.join(self.scratch, "model.bin")
        with open(path, "wb") as f:
            f.write(data)
        reached, release = threading.Event(), threading.Event()
        sent_log: List[int] = []

        def progress(sent: int, _total: int) -> None:
            sent_log.append(sent)
            if sent >= 4 * MIB and not reached.is_set():
                reached.set()  # 4 MiB are on the wire: hold the upload here while the server dies
                if not release.wait(30):
                    raise RuntimeError("the test never released the upload")

        client = LedgerClient(self.server.url, max_attempts=10, backoff_base=0.05, backoff_cap=0.5, timeout=30)
        outcome: Dict[str, Any] = {}

        def upload() -> None:
            try:
                outcome["record"] = client.put_file("crash-1", "checkpoints/model.bin", path,
                                                    idempotency_key="crash-push-1", progress=progress)
            except BaseException as error:  # noqa: BLE001 - asserted on below
                outcome["error"] = error

        worker = threading.Thread(target=upload, daemon=True)
        with self.assertLogs("artifact_ledger", "WARNING") as logs:
            worker.start()
            self.assertTrue(reached.wait(20), "the upload never reached 4 MiB")
            killed_pid = self.server.proc.pid if self.server.proc else None
            self.server.kill()
            self.server.start()  # same port, same DATA_DIR: recovery runs before ready
            self.assertNotEqual(self.server.proc.pid if self.server.proc else None, killed_pid)
            release.set()
            worker.join(60)
        self.assertFalse(worker.is_alive(), "put_file did not return")
        self.assertNotIn("error", outcome)
        record = outcome["record"]
        digest = hashlib.sha256(data).hexdigest()
        self.assertEqual((record.state, record.artifacts[0].sha256), ("committed", digest))
        self.assertTrue(all("Idempotency-Key crash-push-1" in line for line in logs.output))
        self.assertTrue(any(b < a for a, b in zip(sent_log, sent_log[1:])), "the retry did not start the file over")
        self.assertEqual(sent_log[-1], len(data))

        versions = client.versions("crash-1", "checkpoints/model.bin").versions
        self.assertEqual([(v.version, v.sha256, v.commit_id) for v in versions], [(1, digest, record.id)])
        self.assertEqual(client.get("crash-1", "checkpoints/model.bin"), data)
        log = client.commits("crash-1").commits
        self.assertEqual([(c.id, c.state) for c in log], [(record.id, "committed")])
        # The key was stored with that commit: sending it again replays it instead of writing a version 2.
        replay = client.put_file("crash-1", "checkpoints/model.bin", path, idempotency_key="crash-push-1")
        self.assertEqual(replay.id, record.id)
        self.assertEqual(len(client.versions("crash-1", "checkpoints/model.bin").versions), 1)


class EventsTest(unittest.TestCase):
    """client.events(): entries in seq order, one session's, and a stream reopened across a killed server."""

    def setUp(self) -> None:
        self.server = LedgerServer({"EVENTS_HEARTBEAT_MS": "200"})
        self.addCleanup(self.server.close)
        self.server.start()
        self.client = LedgerClient(self.server.url, max_attempts=60, backoff_base=0.05, backoff_cap=0.25, timeout=10)

    def follow(self, want: int, **options: Any) -> Tuple[List[int], threading.Thread]:
        """Reads `want` events on a thread into the list returned (seqs), then stops."""
        seqs: List[int] = []

        def read() -> None:
            events = self.client.events(**options)
            for record in events:
                seqs.append(record.seq)
                if len(seqs) >= want:
                    events.close()  # type: ignore[attr-defined]
                    return

        worker = threading.Thread(target=read, daemon=True)
        worker.start()
        return seqs, worker

    def commit(self, session: str, text: str) -> int:
        return self.client.commit(session, [Artifact("a.txt", text=text)]).seq

    def test_yields_ended_entries_after_since_in_seq_order_and_one_sessions_when_asked(self) -> None:
        first = self.commit("s1", "1")
        everything, worker = self.follow(3, since=first - 1)
        only_s2, worker_s2 = self.follow(1, since=0, session="s2")
        seqs = [first, self.commit("s2", "2"), self.commit("s1", "3")]
        worker.join(20)
        worker_s2.join(20)
        self.assertEqual(everything, seqs)
        self.assertEqual(only_s2, [seqs[1]])

    def test_a_killed_server_is_reconnected_with_last_event_id_without_a_gap_or_a_repeat(self) -> None:
        start = self.commit("busy", "start")
        before = [self.commit(f"busy-{i % 2}", f"a{i}") for i in range(5)]
        seqs, worker = self.follow(10, since=start)
        poll_until(lambda: len(seqs), lambda n: n >= 5, 20, "the first five events")
        self.server.kill()  # SIGKILL: the stream is cut mid-way, with no goodbye
        self.server.start()  # same port and data: the client's reconnect lands here
        after = [self.commit(f"busy-{i % 2}", f"b{i}") for i in range(5)]
        worker.join(30)
        self.assertFalse(worker.is_alive(), f"the stream stopped at {seqs}")
        logged = [c.seq for c in self.client.iter_commits() if c.seq > start]
        self.assertEqual(seqs, before + after)
        self.assertEqual(seqs, logged)


class ConfiguredServerTest(unittest.TestCase):
    """A server with bearer tokens and a 1 MiB artifact limit."""

    TOKEN = "py-client-token-0123456789"
    server: LedgerServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = LedgerServer({"AUTH_TOKENS": f"writer={cls.TOKEN}:write", "MAX_ARTIFACT_BYTES": str(MIB)})
        try:
            cls.server.start()
        except BaseException:
            cls.server.close()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.close()

    def test_url_and_token_come_from_the_environment_and_a_missing_token_is_401(self) -> None:
        with mock.patch.dict(os.environ, {artifact_ledger.URL_ENV: self.server.url, artifact_ledger.TOKEN_ENV: self.TOKEN}):
            client = LedgerClient()
            self.assertNotIn(self.TOKEN, repr(client))
            self.assertEqual(client.open_session("auth-1").state, "open")
            self.assertEqual(client.commit("auth-1", [Artifact.from_text("a.txt", "x")]).state, "committed")
        for token in ("", "wrong-token"):
            with self.subTest(token=token):
                with self.assertRaises(Unauthorized) as caught:
                    LedgerClient(self.server.url, token=token).get_session("auth-1")
                self.assertEqual((caught.exception.status, caught.exception.code), (401, "unauthorized"))

    def test_an_upload_refused_before_its_body_is_sent_reports_the_servers_413_without_retrying(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "too-big.bin")
            with open(path, "wb") as f:
                f.write(os.urandom(32 * MIB))
            client = LedgerClient(self.server.url, self.TOKEN, max_attempts=3, backoff_base=0.05)
            started = time.monotonic()
            with captured_warnings() as warnings:
                with self.assertRaises(PayloadTooLarge) as caught:
                    client.put_file("limits-1", "too-big.bin", path)
        # The server answers as soon as it sees Content-Length and hangs up; the client reads that answer.
        self.assertEqual((caught.exception.status, caught.exception.code), (413, "payload_too_large"))
        self.assertEqual(warnings, [])
        self.assertLess(time.monotonic() - started, 5)


if __name__ == "__main__":
    unittest.main()
