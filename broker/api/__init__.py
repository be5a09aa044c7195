"""The HTTP edge: one router module per resource family. Routers translate HTTP; services hold the rules.

`ROUTERS` names every router module `create_app` includes (each module exposes `router`). Add one line per
new module; order only matters where two paths could match the same URL.
"""

ROUTERS: list[str] = [
    "broker.api.index",
    "broker.api.pacticipants",
    "broker.api.publish",
    "broker.api.pacts",
    "broker.api.verifications",
    "broker.api.environments",
    "broker.api.matrix",
    "broker.api.for_verification",
    "broker.api.webhooks",
]
