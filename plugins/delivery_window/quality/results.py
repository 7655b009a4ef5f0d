"""GX validation results → ``delivery_ops.dq_results`` rows (pure; input is the result's JSON dict).

Only what is stable across reruns is kept: per expectation its label, success, observed value, unexpected
count and a sorted sample of unexpected values. GX run ids and timings are dropped.
"""

from __future__ import annotations

from typing import Any

from delivery_window.quality.suites import expectation_label

SAMPLE = 10  # unexpected values kept per expectation


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _exception_message(info: Any) -> str | None:
    """GX's exception info: either one ``{raised_exception, exception_message}`` or one per metric."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info["raised_exception"] else None
    messages = [str(v.get("exception_message")) for v in info.values() if isinstance(v, dict)]
    return "; ".join(sorted(messages)) or None


def summarize(suite: str, result: dict[str, Any]) -> dict[str, Any]:
    """One dq_results row (without date and time) from ``ExpectationSuiteValidationResult.to_json_dict()``."""
    expectations, failed = [], []
    for r in result.get("results", []):
        config = r.get("expectation_config") or {}
        label = expectation_label(config)
        res = r.get("result") or {}
        error = _exception_message(r.get("exception_info"))
        entry: dict[str, Any] = {"expectation": label, "success": bool(r.get("success"))}
        for key in ("observed_value", "element_count", "unexpected_count", "unexpected_percent"):
            if res.get(key) is not None:
                entry[key] = _jsonable(res[key])
        sample = res.get("partial_unexpected_list")
        if sample:
            entry["unexpected_sample"] = sorted(map(str, sample))[:SAMPLE]
        rows = (res.get("details") or {}).get("unexpected_rows")
        if rows:
            entry["unexpected_sample"] = sorted(map(str, rows))[:SAMPLE]
        if error:
            entry["error"] = error[:500]
            entry["success"] = False
        if description := config.get("description"):
            entry["description"] = description
        expectations.append(entry)
        if not entry["success"]:
            failed.append(label)
    expectations.sort(key=lambda e: e["expectation"])
    return {
        "suite": suite,
        "success": bool(result.get("success")) and not failed,
        "evaluated": len(expectations),
        "failed": len(failed),
        "failed_expectations": sorted(failed),
        "details": {"expectations": expectations},
    }


def could_not_run(suite: str, error: BaseException | str) -> dict[str, Any]:
    """A suite that did not run (connection, SQL, GX error): failed, with the precise error recorded."""
    message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return {
        "suite": suite,
        "success": False,
        "evaluated": 0,
        "failed": 0,
        "failed_expectations": ["suite_not_run"],
        "details": {"error": message[:2000]},
    }
