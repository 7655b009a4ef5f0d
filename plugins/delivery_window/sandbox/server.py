"""One local HTTP server that stands in for every external service of the delivery window.

    with Sandbox("healthy") as sb:            # binds 127.0.0.1 on an ephemeral port
        conns = sandbox_connections(sb.url, db_url, redis_url)
        ...
        sb.requests("slack")                   # what the code under test sent, secrets masked

Services live under the path prefixes of ``connections.SANDBOX_PREFIX`` (plus ``/slack``); see ``services`` for
their endpoints and ``faults`` for failure injection. Control endpoints let another process drive it:
``GET /_sandbox/health``, ``GET|DELETE /_sandbox/requests[?service=]``, ``POST /_sandbox/scenario``
``{"scenario", "faults"?}``, ``POST /_sandbox/faults`` ``{"faults": {...}}``, ``GET /_sandbox/state``.
"""

from __future__ import annotations

import copy
import json
import socket
import struct
import threading
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from delivery_window.masking import masked_logger
from delivery_window.sandbox.faults import FAULT_KINDS, SERVICES, Fault, parse_faults
from delivery_window.sandbox.scenarios import DEFAULT_SEED, scenario_info
from delivery_window.sandbox.services import ServiceState, dispatch
from delivery_window.sandbox.wire import DROP, Request, Response

log = masked_logger(__name__)

# Headers whose values are secrets: recorded as "***" (keeping the auth scheme) so logs and test output are safe.
_SECRET_HEADERS = frozenset({"authorization", "dd-api-key", "dd-application-key", "x-api-key", "cookie"})


def _mask(name: str, value: str) -> str:
    if name == "authorization" and " " in value:
        return value.split(" ", 1)[0] + " ***"
    return "***"


class Sandbox:
    """Fake external services in a daemon thread; records every request; scenario and faults switchable."""

    def __init__(
        self,
        scenario: str = "healthy",
        *,
        seed: int = DEFAULT_SEED,
        faults: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        platform_db: str | None = None,
    ) -> None:
        # platform_db: the delivery service applies its actions to that database's generated day (a paused
        # number carries no later attempt); without it, actions are only remembered
        self._state = ServiceState(
            scenario=scenario, seed=seed, platform_db=platform_db
        )  # validates the name
        self._lock = threading.RLock()
        self._records: list[dict[str, Any]] = []
        # (service, Idempotency-Key) -> the first answer: a repeated key is answered again, never acted on twice
        self._idempotent: dict[tuple[str, str], Response] = {}
        self._faults: dict[str, Fault] = {}
        self._fault_budget: dict[str, int] = {}
        self._stopping = threading.Event()
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.set_faults(faults)

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = ThreadingHTTPServer((self._host, self._port), _Handler)
        server.daemon_threads = True
        server.sandbox = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (stalled fault handlers are woken up)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (only once started)."""
        if self._server is None:
            raise RuntimeError("sandbox is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- scenario and faults -----------------------------------------------------------------------------
    @property
    def scenario(self) -> str:
        """Name of the current scenario."""
        return self._state.scenario

    def set_scenario(self, name: str, faults: Mapping[str, Any] | None = None) -> None:
        """Switch scenario (what the APIs report); faults become the scenario's plus ``faults``."""
        info = scenario_info(name)  # raises ValueError for an unknown name
        with self._state.lock:
            self._state.scenario, self._state.info = name, info
        self.set_faults(faults)

    def set_faults(self, faults: Mapping[str, Any] | None) -> None:
        """Replace the injected faults with the scenario's own plus ``faults`` ({service: kind | mapping})."""
        merged = parse_faults(self._state.info.get("faults")) | parse_faults(faults)
        with self._lock:
            self._faults = merged
            self._fault_budget = {s: f.times for s, f in merged.items() if f.times is not None}

    def faults(self) -> dict[str, dict[str, Any]]:
        """Faults currently injected, per service."""
        with self._lock:
            return {s: f.as_dict() for s, f in self._faults.items()}

    def _take_fault(self, service: str) -> Fault | None:
        with self._lock:
            fault = self._faults.get(service)
            if fault is None:
                return None
            if service in self._fault_budget:
                # "times": fail the next N calls only, then the service recovers.
                self._fault_budget[service] -= 1
                if self._fault_budget[service] <= 0:
                    del self._faults[service]
                    del self._fault_budget[service]
            return fault

    # --- recording ---------------------------------------------------------------------------------------
    def requests(self, service: str | None = None) -> list[dict[str, Any]]:
        """Recorded requests (oldest first), optionally of one service; copies, safe to mutate."""
        with self._lock:
            rows = [r for r in self._records if service is None or r["service"] == service]
            return copy.deepcopy(rows)

    def clear(self) -> None:
        """Forget recorded requests and every remembered action (PagerDuty alerts, requeues, ...)."""
        with self._lock:
            self._records.clear()
            self._idempotent.clear()
        self._state.reset()

    def state(self) -> dict[str, Any]:
        """What the fake services remember: PagerDuty alerts by dedup_key, requeue jobs, paused numbers, ..."""
        return self._state.snapshot() | {"faults": self.faults()}

    def _record(self, req: Request) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "service": req.service,
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "headers": {k: (_mask(k, v) if k in _SECRET_HEADERS else v) for k, v in req.headers.items()},
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "status": None,
        }
        try:
            rec["json"] = req.json() if req.body else None
        except (ValueError, UnicodeDecodeError):
            rec["body"] = req.body.decode("utf-8", "replace")
        with self._lock:
            self._records.append(rec)
        return rec

    def _set_status(self, rec: dict[str, Any], status: int | None, fault: str | None = None) -> None:
        with self._lock:
            rec["status"] = status
            if fault:
                rec["fault"] = fault

    # --- request handling (called from handler threads) --------------------------------------------------
    def _stall(self, seconds: float) -> None:
        # Wakes up early when the sandbox stops, so stop() never waits for a stalled client.
        self._stopping.wait(seconds)

    def _handle(self, req: Request) -> Response | object:
        if req.service == "_sandbox":
            return self._control(req)
        rec = self._record(req)
        fault = self._take_fault(req.service)
        if fault is not None:
            result = FAULT_KINDS[fault.kind](fault, req.service, self._stall)
            if result is not None:
                self._set_status(rec, result.status if isinstance(result, Response) else None, fault.kind)
                return result
        key = req.headers.get("idempotency-key") if req.method == "POST" else None
        with self._lock:
            first = self._idempotent.get((req.service, key)) if key else None
            if first is not None:  # as a real API honours Idempotency-Key: the first answer, no second action
                rec["idempotent_repeat"] = True
        if first is not None:
            self._set_status(rec, first.status)
            return first
        try:
            resp = dispatch(req, self._state)
        except Exception:  # a sandbox bug must not look like a network error to the code under test
            log.exception("sandbox handler failed for %s %s", req.method, req.path)
            resp = Response(500, {"error": "sandbox_error", "message": traceback.format_exc(limit=3)})
        if key and resp.status < 500:
            with self._lock:
                self._idempotent.setdefault((req.service, key), resp)
        self._set_status(rec, resp.status, fault.kind if fault else None)
        return resp

    def _control(self, req: Request) -> Response:
        sub = req.subpath.rstrip("/")
        try:
            if req.method == "GET" and sub == "/health":
                return Response(200, {"status": "ok", "scenario": self.scenario, "faults": self.faults()})
            if req.method == "GET" and sub == "/requests":
                return Response(200, self.requests(req.query.get("service")))
            if req.method == "DELETE" and sub == "/requests":
                self.clear()
                return Response(200, {"cleared": True})
            if req.method == "GET" and sub == "/state":
                return Response(200, self.state())
            if req.method == "POST" and sub == "/scenario":
                body = req.json() or {}
                self.set_scenario(body["scenario"], body.get("faults"))
                return Response(200, {"scenario": self.scenario, "faults": self.faults()})
            if req.method == "POST" and sub == "/faults":
                body = req.json() or {}
                self.set_faults(body.get("faults", body))
                return Response(200, {"scenario": self.scenario, "faults": self.faults()})
        except (ValueError, KeyError, TypeError) as exc:
            return Response(400, {"error": "invalid_request", "message": str(exc)})
        return Response(404, {"error": "not_found", "message": f"no control route {req.method} {req.path}"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real services; every response has Content-Length
    server_version = "delivery-window-sandbox/1"
    timeout = 60  # an idle keep-alive connection is closed after this

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        log.debug("sandbox: " + format, *args)

    def _serve(self) -> None:
        sandbox: Sandbox = self.server.sandbox  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        segments = parts.path.split("/", 2)
        service = segments[1] if len(segments) > 1 else ""
        if service not in SERVICES and service != "_sandbox":
            service = "unknown"
        prefix = "" if service == "unknown" else "/" + service
        if service == "pagerduty" and not parts.path.startswith("/pagerduty/v2/"):
            # A PagerDuty stand-in serves the REST API (api.pagerduty.com) on the Events base URL too.
            service = "pagerduty_api"
        query = {
            k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query, keep_blank_values=True).items()
        }
        req = Request(
            method=self.command,
            path=parts.path,
            service=service,
            subpath=parts.path[len(prefix) :] or "/",
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            host=self.headers.get("Host", ""),
        )
        result = sandbox._handle(req)
        if result is DROP:
            self._drop()
            return
        assert isinstance(result, Response)
        payload, content_type = result.encode()
        self.send_response(result.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in result.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        # SO_LINGER 0 makes close() send a RST: the client sees a reset connection, not an HTTP answer.
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        self.connection.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class SandboxClient:
    """Drive a sandbox running in another process through its control endpoints."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self._host, self._port, self._timeout = parts.hostname or "127.0.0.1", parts.port or 80, timeout

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        conn = HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode()
            if resp.status >= 400:
                raise RuntimeError(f"sandbox {method} {path}: {resp.status} {text}")
            return json.loads(text)
        finally:
            conn.close()

    def health(self) -> dict[str, Any]:
        """``{"status":"ok","scenario","faults"}``."""
        return self._call("GET", "/_sandbox/health")

    def requests(self, service: str | None = None) -> list[dict[str, Any]]:
        """Recorded requests, optionally of one service."""
        query = "?" + urlencode({"service": service}) if service else ""
        return self._call("GET", "/_sandbox/requests" + query)

    def clear(self) -> None:
        """Forget recorded requests and remembered actions."""
        self._call("DELETE", "/_sandbox/requests")

    def set_scenario(self, name: str, faults: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Switch scenario (and faults)."""
        return self._call("POST", "/_sandbox/scenario", {"scenario": name, "faults": dict(faults or {})})

    def set_faults(self, faults: Mapping[str, Any] | None) -> dict[str, Any]:
        """Replace injected faults."""
        return self._call("POST", "/_sandbox/faults", {"faults": dict(faults or {})})

    def state(self) -> dict[str, Any]:
        """PagerDuty alerts, requeue jobs, paused numbers, fallback activations, failovers, faults."""
        return self._call("GET", "/_sandbox/state")
