"""Fake Cloudinary Admin API: ``ping`` (with the hourly rate-limit headers) and the day's uploaded images.

Both count against the Admin API hourly quota. A scenario drops rendered images through
``info["cloudinary"]["missing_assets"]`` (see scenario_sets/pre_delivery.py).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from delivery_window.sandbox.scenarios import SEGMENTS
from delivery_window.sandbox.services.common import Request, Response, Route, ServiceState

CLOUD_NAME = "projectone"  # cloud_name extra of the Cloudinary sandbox connection


def cloudinary_ping(req: Request, st: ServiceState) -> Response:
    """GET /v1_1/{cloud}/ping (§5); pings count against the Admin API hourly quota."""
    if req.params["cloud"] != CLOUD_NAME:
        return Response(401, {"error": {"message": f"Invalid cloud_name {req.params['cloud']}"}})
    used = st.next("cloudinary_pings")
    now = datetime.now(UTC)
    reset = (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    headers = {
        "X-FeatureRateLimit-Limit": "500",
        "X-FeatureRateLimit-Remaining": str(max(0, 500 - used)),
        "X-FeatureRateLimit-Reset": reset,
    }
    return Response(200, {"status": "ok"}, headers)


_ASSET_KINDS = ("brief", "chart", "quote")


def cloudinary_resources(req: Request, st: ServiceState) -> Response:
    """GET /v1_1/{cloud}/resources/image/upload?prefix= -> the day's rendered images (Admin API shape)."""
    if req.params["cloud"] != CLOUD_NAME:
        return Response(401, {"error": {"message": f"Invalid cloud_name {req.params['cloud']}"}})
    st.next("cloudinary_pings")  # Admin API calls share the hourly quota
    prefix = str(req.query.get("prefix", ""))
    m = re.fullmatch(r"daily/(\d{4}-\d{2}-\d{2})/?", prefix)
    missing = set((st.info.get("cloudinary") or {}).get("missing_assets", []))
    resources = []
    if m:
        for s in SEGMENTS:
            for kind in _ASSET_KINDS:
                name = f"s{s}-{kind}"
                if name in missing:
                    continue
                public_id = f"daily/{m.group(1)}/{name}"
                url = f"res.cloudinary.com/{CLOUD_NAME}/image/upload/v1/{public_id}.png"
                resources.append(
                    {
                        "asset_id": hashlib.md5(public_id.encode()).hexdigest(),
                        "public_id": public_id,
                        "format": "png",
                        "version": 1,
                        "resource_type": "image",
                        "type": "upload",
                        "created_at": f"{m.group(1)}T23:40:00Z",
                        "bytes": 48_213,
                        "width": 1080,
                        "height": 1080,
                        "url": f"http://{url}",
                        "secure_url": f"https://{url}",
                    }
                )
    return Response(200, {"resources": resources})


ROUTES: list[Route] = [
    ("GET", r"/v1_1/(?P<cloud>[^/]+)/ping", cloudinary_ping),
    ("GET", r"/v1_1/(?P<cloud>[^/]+)/resources/image/upload", cloudinary_resources),
]
