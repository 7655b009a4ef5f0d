"""Every Airflow connection id the package uses, in one place.

Production points these at the real services; the demo and tests point them at the sandbox
(see ``sandbox_connections``). Tasks name only the ids they need.
"""

from __future__ import annotations

import json

# In production DELIVERY_DB logs in as delivery_window_app (sql/roles.sql: no DDL, no platform writes), and
# DELIVERY_DB_OWNER as the owner of delivery_ops, for the schema migrations only (migrate_report_schema).
# DELIVERY_DB_OWNER is optional: where it is not defined (demo, tests, a dev box) the migrations use DELIVERY_DB.
DELIVERY_DB = "delivery_db"  # postgres: platform.* (read) and delivery_ops.* (write)
DELIVERY_DB_OWNER = "delivery_db_owner"
REDIS = "delivery_redis"  # redis: delivery cache / queue
WHATSAPP = "whatsapp_cloud"  # http: Graph API; password = token; extra: api_version, waba_id
CLOUDINARY = "cloudinary"  # http: login/password = api_key/api_secret; extra: cloud_name
OPENAI = "openai_api"  # http: password = API key
COMPLIANCE = "compliance_engine"  # http
DATADOG = "datadog_api"  # http: password = DD-API-KEY; extra: app_key
GRAFANA = "grafana_api"  # http: password = service-account token; extra: dashboard_uid
PAGERDUTY = "pagerduty_events"  # pagerduty_events: password = routing key; host = base URL (sandbox)
PAGERDUTY_API = "pagerduty_api"  # http: REST API (escalation policy, on-call); password = read-only REST key
DELIVERY_SERVICE = "delivery_service"  # http: the platform's delivery service that runbooks act on
# issue 14: the status pages, X and Confluence are channels of their own (sent through the outbox)
STATUSPAGE_INTERNAL = (
    "statuspage_internal"  # http: Statuspage REST v1; password = API key; extra: page_id, component_id
)
STATUSPAGE_ADVISOR_FACING = "statuspage_advisor_facing"  # http: the advisor-facing page; same extras
X_API = "x_api"  # http: X API v2 (api.x.com); password = the status account's OAuth 2.0 user access token
CONFLUENCE = (
    "confluence"  # http: Confluence Cloud REST; login = e-mail, password = API token; extra: space_key
)

# Slack incoming webhooks, one per purpose (protocol: communication_channels.slack_channels).
SLACK_WAR_ROOM = "slack_war_room"
SLACK_DELIVERY_OPS = "slack_delivery_ops"
SLACK_ENGINEERING_ALERTS = "slack_engineering_alerts"
SLACK_EXECUTIVE_ALERTS = "slack_executive_alerts"
# Slack Web API (provider SlackHook, conn type slack): password = the app's bot token (xoxb-…), extra base_url;
# the 05:30 check reads each channel with it (auth.test, conversations.list, conversations.info); nothing posts
SLACK_API = "slack_api"
# protocol.yaml communication_channels.slack_channels purpose -> the incoming-webhook connection of that channel
SLACK_BY_PURPOSE = {
    "critical_incidents": SLACK_WAR_ROOM,
    "daily_operations": SLACK_DELIVERY_OPS,
    "engineering_alerts": SLACK_ENGINEERING_ALERTS,
    "executive_notifications": SLACK_EXECUTIVE_ALERTS,
}

# Path prefix of each service on the sandbox (one HTTP server stands in for all of them).
SANDBOX_PREFIX = {
    WHATSAPP: "/whatsapp",
    CLOUDINARY: "/cloudinary",
    OPENAI: "/openai",
    COMPLIANCE: "/compliance",
    DATADOG: "/datadog",
    GRAFANA: "/grafana",
    PAGERDUTY: "/pagerduty",
    DELIVERY_SERVICE: "/delivery",
    STATUSPAGE_INTERNAL: "/statuspage",
    STATUSPAGE_ADVISOR_FACING: "/statuspage",
    X_API: "/x",
    CONFLUENCE: "/confluence",
    SLACK_API: "/slack_api",
}
# protocol.yaml communication_channels.status_communications page -> the Statuspage connection of that page
STATUSPAGE_BY_PAGE = {"internal": STATUSPAGE_INTERNAL, "advisor_facing": STATUSPAGE_ADVISOR_FACING}
SLACK_SANDBOX_PATH = {
    SLACK_WAR_ROOM: "/slack/services/T0SANDBOX/B0WARROOM/delivery-war-room",
    SLACK_DELIVERY_OPS: "/slack/services/T0SANDBOX/B0DELOPS/delivery-ops",
    SLACK_ENGINEERING_ALERTS: "/slack/services/T0SANDBOX/B0ENGALR/engineering-alerts",
    SLACK_EXECUTIVE_ALERTS: "/slack/services/T0SANDBOX/B0EXECAL/executive-alerts",
}
SANDBOX_WABA_ID = "102290129340398"
# The sandbox's Statuspage pages and their "WhatsApp content delivery" component (ids in Statuspage's 12-char form)
SANDBOX_STATUSPAGE = {
    STATUSPAGE_INTERNAL: {"page_id": "kctbh9vrtdwd", "component_id": "8kbf7d35c070"},
    STATUSPAGE_ADVISOR_FACING: {"page_id": "y2j98763l56x", "component_id": "b13yz5f2cw10"},
}
SANDBOX_CONFLUENCE_SPACE = "ONCALL"


def sandbox_connections(sandbox_url: str, db_url: str, redis_url: str) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` environment values that point every connection at the sandbox."""
    from urllib.parse import parse_qs, urlsplit

    def http(prefix: str, **extra: str) -> str:
        return json.dumps(
            {"conn_type": "http", "host": sandbox_url + prefix, "password": "sandbox-token", "extra": extra}
        )

    db = urlsplit(db_url)
    # pgserver URLs name a unix-socket directory in ?host=; libpq takes a directory as the host.
    socket_dir = parse_qs(db.query).get("host", [None])[0]
    conns = {
        DELIVERY_DB: json.dumps(
            {
                "conn_type": "postgres",
                "host": socket_dir or db.hostname,
                "port": db.port or 5432,
                "login": db.username or "postgres",
                "password": db.password or "",
                "schema": db.path.lstrip("/") or "postgres",
            }
        ),
        REDIS: redis_url,
        WHATSAPP: http(SANDBOX_PREFIX[WHATSAPP], api_version="v23.0", waba_id=SANDBOX_WABA_ID),
        CLOUDINARY: http(SANDBOX_PREFIX[CLOUDINARY], cloud_name="projectone"),
        OPENAI: http(SANDBOX_PREFIX[OPENAI]),
        COMPLIANCE: http(SANDBOX_PREFIX[COMPLIANCE]),
        DATADOG: http(SANDBOX_PREFIX[DATADOG], app_key="sandbox-app-key"),
        GRAFANA: http(SANDBOX_PREFIX[GRAFANA], dashboard_uid="delivery-window"),
        DELIVERY_SERVICE: http(SANDBOX_PREFIX[DELIVERY_SERVICE]),
        PAGERDUTY_API: http("/pagerduty_api"),
        X_API: http(SANDBOX_PREFIX[X_API]),
        CONFLUENCE: json.dumps(
            {
                "conn_type": "http",
                "host": sandbox_url + SANDBOX_PREFIX[CONFLUENCE],
                "login": "oncall-bot@projectone.ai",
                "password": "sandbox-token",
                "extra": {"space_key": SANDBOX_CONFLUENCE_SPACE},
            }
        ),
        PAGERDUTY: json.dumps(
            {
                "conn_type": "pagerduty_events",
                "host": sandbox_url + SANDBOX_PREFIX[PAGERDUTY],
                "password": "R0SANDBOXROUTINGKEY0000000000000",
            }
        ),
    }
    for conn_id, extra in SANDBOX_STATUSPAGE.items():
        conns[conn_id] = http(SANDBOX_PREFIX[conn_id], **extra)
    conns[SLACK_API] = json.dumps(
        {
            "conn_type": "slack",
            "password": "xoxb-sandbox",
            "extra": {"base_url": sandbox_url + SANDBOX_PREFIX[SLACK_API] + "/api/"},
        }
    )
    for conn_id, path in SLACK_SANDBOX_PATH.items():
        conns[conn_id] = json.dumps({"conn_type": "slackwebhook", "password": sandbox_url + path})
    return conns
