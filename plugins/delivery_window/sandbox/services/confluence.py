"""Fake Confluence Cloud REST API (``/wiki/rest/api/content``): pages found by space and title, created, updated.

Basic auth required (401 ``{"statusCode", "message"}`` otherwise). ``GET ?spaceKey=&title=&expand=`` →
``{"results": [...], "start", "limit", "size"}`` (``version`` and ``body.storage`` when expanded); ``POST``
``{"type": "page", "title", "space": {"key"}, "body": {"storage": {"value", "representation": "storage"}}}`` → the
page at version 1 (400 when a page of that title is already in the space); ``PUT /{id}`` with the same fields and
``version.number`` = current + 1 (409 otherwise) → the page at its new version. The space is
``connections.SANDBOX_CONFLUENCE_SPACE``; each version's body is kept (``history``) for tests.
"""

from __future__ import annotations

from typing import Any

from delivery_window.connections import SANDBOX_CONFLUENCE_SPACE
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState, now_iso


def _error(status: int, message: str) -> Response:
    return Response(status, {"statusCode": status, "message": message, "data": {"authorized": status != 401}})


def _authorized(req: Request) -> bool:
    return req.headers.get("authorization", "").startswith("Basic ")


def _page_fields(body: Any) -> tuple[dict[str, Any] | None, Response | None]:
    if not isinstance(body, dict):
        return None, _error(400, "request body is not a JSON object")
    if body.get("type") != "page":
        return None, _error(400, "type must be 'page'")
    if not isinstance(body.get("title"), str) or not body["title"].strip():
        return None, _error(400, "title is required")
    space = body.get("space")
    if not isinstance(space, dict) or space.get("key") != SANDBOX_CONFLUENCE_SPACE:
        return None, _error(
            404, f"No space with key : {space.get('key') if isinstance(space, dict) else space}"
        )
    storage = (body.get("body") or {}).get("storage") if isinstance(body.get("body"), dict) else None
    if not isinstance(storage, dict) or not isinstance(storage.get("value"), str):
        return None, _error(400, "body.storage.value is required")
    if storage.get("representation") != "storage":
        return None, _error(400, "body.storage.representation must be 'storage'")
    return body, None


def _view(page: dict[str, Any], expand: str) -> dict[str, Any]:
    out = {k: page[k] for k in ("id", "type", "status", "title", "space", "_links")}
    if "version" in expand:
        out["version"] = page["version"]
    if "body.storage" in expand:
        out["body"] = {"storage": {"value": page["body"], "representation": "storage"}}
    return out


def search(req: Request, st: ServiceState) -> Response:
    if not _authorized(req):
        return _error(401, "This request requires authentication")
    key, title = req.query.get("spaceKey"), req.query.get("title")
    with st.lock:
        found = [
            _view(p, str(req.query.get("expand") or ""))
            for p in st.confluence_pages.values()
            if (key is None or p["space"]["key"] == key) and (title is None or p["title"] == title)
        ]
    return Response(200, {"results": found, "start": 0, "limit": 25, "size": len(found), "_links": {}})


def create(req: Request, st: ServiceState) -> Response:
    if not _authorized(req):
        return _error(401, "This request requires authentication")
    try:
        body, error = _page_fields(req.json())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "request body is not valid JSON")
    if error:
        return error
    with st.lock:
        if any(
            p["title"] == body["title"] and p["space"]["key"] == body["space"]["key"]
            for p in st.confluence_pages.values()
        ):
            return _error(
                400,
                "A page with this title already exists: A page already exists with the same TITLE in this space",
            )
        page_id = str(65000000 + st.next("confluence_pages"))
        value = body["body"]["storage"]["value"]
        page = {
            "id": page_id,
            "type": "page",
            "status": "current",
            "title": body["title"],
            "space": {"key": body["space"]["key"]},
            "version": {"number": 1, "when": now_iso(), "message": ""},
            "body": value,
            "history": [value],
            "_links": {"webui": f"/spaces/{body['space']['key']}/pages/{page_id}"},
        }
        st.confluence_pages[page_id] = page
        return Response(200, _view(page, "version,body.storage"))


def update(req: Request, st: ServiceState) -> Response:
    if not _authorized(req):
        return _error(401, "This request requires authentication")
    try:
        body, error = _page_fields(req.json())
    except (ValueError, UnicodeDecodeError):
        return _error(400, "request body is not valid JSON")
    if error:
        return error
    number = (body.get("version") or {}).get("number") if isinstance(body.get("version"), dict) else None
    with st.lock:
        page = st.confluence_pages.get(req.params["page_id"])
        if page is None:
            return _error(404, f"No content found with id : {req.params['page_id']}")
        if not isinstance(number, int) or number != page["version"]["number"] + 1:
            return _error(
                409, f"Version must be incremented on update. Current version is: {page['version']['number']}"
            )
        value = body["body"]["storage"]["value"]
        page.update(title=body["title"], body=value)
        page["version"] = {"number": number, "when": now_iso(), "message": body["version"].get("message", "")}
        page["history"].append(value)
        return Response(200, _view(page, "version,body.storage"))


ROUTES: list[Route] = [
    ("GET", r"/wiki/rest/api/content", search),
    ("POST", r"/wiki/rest/api/content", create),
    ("PUT", r"/wiki/rest/api/content/(?P<page_id>[^/]+)", update),
]
