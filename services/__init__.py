"""The six TracSeq services under contract: gateway, sample, storage, sequencing, notification, event."""

# The order also gives the default ports: base port + position (gateway 8001 ... event 8006). Kept here, not
# in `services.runner`, so the CLI can show them without importing six apps.
SERVICES: tuple[str, ...] = ("gateway", "sample", "storage", "sequencing", "notification", "event")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_BASE_PORT = 8001
