"""The demo's progress on the terminal: a line as each phase of the run (pre-delivery, delivery, post-delivery)
has finished, read from Airflow's metadata while dag.test() runs (``delivery-window demo``)."""

from __future__ import annotations

from datetime import UTC, datetime

PHASE_LABELS = {"pre_delivery": "pre-delivery", "delivery": "delivery", "post_delivery": "post-delivery"}
FINISHED = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})
STATE_ORDER = ("success", "failed", "upstream_failed", "skipped", "removed")


def phase_lines(tis, started: datetime, done: set[str]) -> list[tuple[str, str]]:
    """``(phase, line)`` for each phase not in ``done`` whose task instances have all finished, in DAG order.
    ``tis``: ``(task_id, state, end_date)`` of the run's task instances; the line says how many ended how, and
    when the phase's last task ended, in seconds after ``started``."""
    by_phase: dict[str, list[tuple[str, datetime | None]]] = {}
    for task_id, state, end_date in tis:
        phase = task_id.split(".", 1)[0]
        if phase in PHASE_LABELS and "." in task_id:
            by_phase.setdefault(phase, []).append((str(getattr(state, "value", state)), end_date))
    lines = []
    for phase, label in PHASE_LABELS.items():
        tasks = by_phase.get(phase)
        if phase in done or not tasks or any(state not in FINISHED for state, _ in tasks):
            continue
        counts: dict[str, int] = {}
        for state, _ in tasks:
            counts[state] = counts.get(state, 0) + 1
        ended = [end for _, end in tasks if end is not None]
        at = f" (+{(max(ended) - started).total_seconds():.0f} s)" if ended else ""
        order = [*(s for s in STATE_ORDER if s in counts), *sorted(set(counts) - set(STATE_ORDER))]
        states = ", ".join(f"{counts[state]} {state}" for state in order)
        lines.append((phase, f"{label.ljust(14)} done: {len(tasks)} tasks, {states}{at}"))
    return lines


class PhaseProgress:
    """While dag.test() runs, a thread reads the run's task instances from Airflow's metadata every second and
    prints a line as each phase finishes; :meth:`finish` prints what it has not (from the finished run)."""

    def __init__(self, run_after: datetime, dag_id: str = "delivery_window"):
        import threading

        self.run_after, self.dag_id = run_after, dag_id
        self.done: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="phase-progress", daemon=True)

    def __enter__(self) -> PhaseProgress:
        self.started = datetime.now(UTC)
        self._after_id = self._last_run_id()  # dag.test() replaces an earlier run of the day: a new id
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def finish(self, tis) -> None:
        """Stop reading, then print the phases not printed yet from ``tis`` (the finished run's)."""
        self._stop.set()
        self._thread.join()
        self._print([(ti.task_id, ti.state, ti.end_date) for ti in tis])

    def _print(self, rows) -> None:
        for phase, line in phase_lines(rows, self.started, self.done):
            self.done.add(phase)
            print(line, flush=True)

    def _last_run_id(self) -> int:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import func, select

        with create_session() as session:
            return session.scalar(select(func.max(DagRun.id)).where(DagRun.dag_id == self.dag_id)) or 0

    def _poll(self) -> None:
        from airflow.models.dagrun import DagRun
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session
        from sqlalchemy import select

        query = (
            select(TaskInstance.task_id, TaskInstance.state, TaskInstance.end_date)
            .join(DagRun, (DagRun.dag_id == TaskInstance.dag_id) & (DagRun.run_id == TaskInstance.run_id))
            .where(
                DagRun.dag_id == self.dag_id, DagRun.id > self._after_id, DagRun.run_after == self.run_after
            )
        )
        while not self._stop.wait(1.0):
            try:
                with create_session() as session:
                    rows = session.execute(query).all()
            except (
                Exception
            ):  # progress is a courtesy: a busy metadata DB skips a second, finish() catches up
                continue
            self._print(rows)
