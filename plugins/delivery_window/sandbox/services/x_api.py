"""Fake X API v2: ``POST /2/tweets`` ``{"text": ...}`` → 201 ``{"data": {"id", "text", "edit_history_tweet_ids"}}``.

Bearer token required (401 otherwise). The body's top-level fields are X's (``text``, ``reply``, ``quote_tweet_id``,
``media``, ``poll``, ...); ``text`` is required here (we post no media) and at most 280 characters; a malformed body
is 400 with X's problem shape (``{"errors": [...], "title", "detail", "type"}``). A text identical to an earlier
post is 403 "duplicate content", as X answers.
"""

from __future__ import annotations

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

FIELDS = {"text", "reply", "quote_tweet_id", "media", "poll", "reply_settings", "for_super_followers_only",
          "direct_message_deep_link", "geo", "nullcast", "card_uri", "community_id"}  # fmt: skip


def _invalid(message: str) -> Response:
    return Response(
        400,
        {
            "errors": [{"message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def create_post(req: Request, st: ServiceState) -> Response:
    if not req.bearer():
        return Response(
            401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
        )
    try:
        body = req.json()
    except (ValueError, UnicodeDecodeError):
        return _invalid("Request body is not valid JSON")
    if not isinstance(body, dict):
        return _invalid("Request body must be a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        return _invalid(
            f"The query parameters [{', '.join(sorted(unknown))}] are not one of {sorted(FIELDS)}"
        )
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return _invalid("text: a post needs text (this sandbox takes no media)")
    if len(text) > 280:
        return _invalid(f"text: {len(text)} characters, at most 280")
    with st.lock:
        if any(p["text"] == text for p in st.x_posts):
            return Response(
                403,
                {
                    "detail": "You are not allowed to create a Tweet with duplicate content.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
            )
        post_id = str(1860000000000000000 + st.next("x_posts"))
        st.x_posts.append({"id": post_id, "text": text})
    return Response(201, {"data": {"id": post_id, "text": text, "edit_history_tweet_ids": [post_id]}})


ROUTES: list[Route] = [("POST", r"/2/tweets", create_post)]
