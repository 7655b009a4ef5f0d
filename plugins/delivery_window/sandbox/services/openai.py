"""Fake OpenAI API: the model list and one model (§5), with OpenAI's error envelope and rate-limit headers."""

from __future__ import annotations

from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

_OPENAI_MODELS = (
    ("gpt-4o", 1715367049, "system"),
    ("gpt-4o-mini", 1721172741, "system"),
    ("text-embedding-3-small", 1705948997, "system"),
    ("omni-moderation-latest", 1731689265, "system"),
)


def _openai_auth(req: Request) -> Response | None:
    if req.bearer():
        return None
    message = "You didn't provide an API key. You need to provide your API key in an Authorization header."
    return Response(
        401,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
    )


def _openai_headers(st: ServiceState) -> dict[str, str]:
    n = st.next("openai_calls")
    return {
        "x-request-id": f"req_sandbox{n:06d}",
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": str(10000 - n),
        "x-ratelimit-reset-requests": "6ms",
    }


def openai_models(req: Request, st: ServiceState) -> Response:
    """GET /v1/models (§5): ``{"object":"list","data":[model...]}``."""
    if err := _openai_auth(req):
        return err
    data = [{"id": i, "object": "model", "created": c, "owned_by": o} for i, c, o in _OPENAI_MODELS]
    return Response(200, {"object": "list", "data": data}, _openai_headers(st))


def openai_model(req: Request, st: ServiceState) -> Response:
    """GET /v1/models/{model}."""
    if err := _openai_auth(req):
        return err
    for i, c, o in _OPENAI_MODELS:
        if i == req.params["model"]:
            return Response(
                200, {"id": i, "object": "model", "created": c, "owned_by": o}, _openai_headers(st)
            )
    message = f"The model '{req.params['model']}' does not exist"
    return Response(
        404,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": "model",
                "code": "model_not_found",
            }
        },
    )


ROUTES: list[Route] = [
    ("GET", r"/v1/models", openai_models),
    ("GET", r"/v1/models/(?P<model>[^/]+)", openai_model),
]
