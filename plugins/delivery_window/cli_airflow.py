"""``delivery-window airflow`` (make airflow) after its checks: the sandbox, the demo's days, and ``airflow
standalone`` with :func:`runtime.standalone_env` until Ctrl-C or SIGTERM; nothing of its session is left."""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

# cli's prepare_day and shown are looked up when called (tests replace them)
from delivery_window import cli, runtime


def run_standalone(args, capture) -> int:
    """:func:`cmd_airflow` after its checks: the sandbox and ``airflow standalone`` until Ctrl-C (or SIGTERM)."""
    import signal
    import subprocess

    from delivery_window.connections import sandbox_connections
    from delivery_window.sandbox.server import Sandbox

    url = runtime.database_url("delivery_window_demo", prefer_local=False)
    for day in (date.today() - timedelta(days=1), date.today()):
        cli.prepare_day(url, args.scenario, day, source_contract=True)  # the demo's database, as `demo`
    home = runtime.CACHE / "airflow-ui"
    runtime.write_ui_login(home)
    # a database of its own (created if missing) on the local Postgres, else on the embedded one
    metadata = runtime.server_database_url(runtime.UI_METADATA_DB, prefer_local=True)
    base = f"http://127.0.0.1:{args.port}"
    user, password = runtime.UI_LOGIN
    # Ctrl-C and a plain kill both stop standalone cleanly, also when this command runs as a background job
    # (whose SIGINT is ignored, and standalone would inherit that and ignore it too)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    with Sandbox(scenario=args.scenario).start() as sandbox:
        env = runtime.standalone_env(
            home=home,
            port=args.port,
            metadata_url=metadata,
            connections=sandbox_connections(
                sandbox.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL)
            ),
        )
        print(f"Airflow UI {base}  login {user} / {password}  (local sandbox; Ctrl-C stops it)", flush=True)
        print(
            f"starting airflow standalone: metadata {metadata}; its output: {cli.shown(capture.path)}",
            flush=True,
        )
        proc = subprocess.Popen(
            ["airflow", "standalone"],
            env={**os.environ, **env},
            stdout=capture.file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            started = time.monotonic()
            while proc.poll() is None:
                if state := ui_dag_state(base, user, password):
                    print(
                        f"Airflow is ready after {time.monotonic() - started:.0f} s: delivery_window is {state}, "
                        f"{base}/dags/delivery_window",
                        flush=True,
                    )
                    break
                time.sleep(2)
            code = proc.wait()
            print(
                f"airflow standalone exited with status {code}; its output: {cli.shown(capture.path)}",
                flush=True,
            )
            return code or 1
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)  # standalone stops its components; SIGTERM would orphan them
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            print("airflow standalone stopped", flush=True)
            return 0
        finally:
            kill_session(proc.pid)
            proc.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def kill_session(sid: int) -> None:
    """SIGKILL whatever is left of session ``sid``, one this command started: standalone's components, their
    LocalExecutor workers, and the task processes those put in process groups of their own."""
    import signal

    proc = Path("/proc")
    pids = [int(p.name) for p in proc.iterdir() if p.name.isdigit()] if proc.is_dir() else []
    for pid in pids:
        try:
            if os.getsid(pid) == sid:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.killpg(sid, signal.SIGKILL)  # where there is no /proc: the session leader's group at least
    except ProcessLookupError:
        pass


def ui_dag_state(base: str, user: str, password: str) -> str | None:
    """``"paused"`` or ``"unpaused"`` once the API logs ``user`` in and knows delivery_window; None before."""
    import json
    import urllib.request

    def call(path: str, token: str | None = None, body: dict | None = None) -> dict:
        req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body else None)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read() or b"{}")

    try:
        token = call("/auth/token", body={"username": user, "password": password})["access_token"]
        return "paused" if call("/api/v2/dags/delivery_window", token)["is_paused"] else "unpaused"
    except (OSError, ValueError, KeyError):  # not up yet, or the DAG not parsed yet
        return None
