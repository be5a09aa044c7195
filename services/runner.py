"""Run TracSeq services for real: uvicorn servers in threads, on given or free ports, wired to each other.

    with run_all() as platform:                    # six services on free ports of 127.0.0.1
        httpx.post(platform.urls["gateway"] + "/api/samples", json={...})
        platform.store("event").list()             # each app's in-memory store, for seeding or asserting

    with serve(create_app()) as url:               # one app on a free port
        ...

`contracts services up` and the end-to-end test use `run_all`; provider verification can use `serve`.
Each service's settings get the others' URLs, so every call between them is real HTTP on localhost.
"""

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI

from services import DEFAULT_BASE_PORT, DEFAULT_HOST, SERVICES
from services.event import EventSettings, Subscription
from services.event import create_app as create_event
from services.gateway import GatewaySettings
from services.gateway import create_app as create_gateway
from services.notification import HANDLED_EVENT_TYPES, NotificationSettings
from services.notification import create_app as create_notification
from services.sample import SampleSettings
from services.sample import create_app as create_sample
from services.sequencing import SequencingSettings
from services.sequencing import create_app as create_sequencing
from services.storage import StorageSettings
from services.storage import create_app as create_storage

STARTUP_TIMEOUT_S = 15.0


def default_ports(base_port: int = DEFAULT_BASE_PORT) -> dict[str, int]:
    return {name: base_port + offset for offset, name in enumerate(SERVICES)}


def build_apps(
    urls: Mapping[str, str], *, storage: StorageSettings | None = None, http_timeout_s: float = 5.0
) -> dict[str, FastAPI]:
    """The six apps, each with settings pointing at the others' `urls`."""
    storage = (storage or StorageSettings()).model_copy(
        update={"event_url": urls["event"], "http_timeout_s": http_timeout_s}
    )
    inbox = Subscription(url=urls["notification"] + "/event-messages", types=sorted(HANDLED_EVENT_TYPES))
    return {
        "gateway": create_gateway(
            GatewaySettings(sample_url=urls["sample"], http_timeout_s=3 * http_timeout_s)
        ),
        "sample": create_sample(
            # Storage and sequencing wait up to http_timeout_s for event/notification; sample waits longer for
            # them, so it never gives up on a call that then succeeds behind its back.
            SampleSettings(
                storage_url=urls["storage"],
                sequencing_url=urls["sequencing"],
                http_timeout_s=2 * http_timeout_s,
            )
        ),
        "storage": create_storage(storage),
        "sequencing": create_sequencing(
            SequencingSettings(notification_url=urls["notification"], http_timeout_s=http_timeout_s)
        ),
        "notification": create_notification(NotificationSettings()),
        "event": create_event(EventSettings(subscribers=[inbox], http_timeout_s=http_timeout_s)),
    }


def bind(host: str = DEFAULT_HOST, port: int = 0) -> socket.socket:
    """A bound socket (port 0: a free one); binding before starting lets every URL be known up front."""
    # IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on connections accepted from a socket that names its
    # protocol; without it each response on a kept-alive connection waits 40 ms for the client's delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class _Server:
    name: str
    server: uvicorn.Server
    sock: socket.socket
    thread: threading.Thread = field(init=False)

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name=f"uvicorn-{self.name}", daemon=True
        )
        self.thread.start()

    def wait_started(self, deadline: float) -> None:
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"the {self.name} service failed to start (see the log above)")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {self.name} service did not start within {STARTUP_TIMEOUT_S:g} s")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.sock.close()


@contextlib.contextmanager
def _serving(
    apps: Mapping[str, FastAPI], socks: Mapping[str, socket.socket], log_level: str
) -> Iterator[None]:
    servers = []
    for name, app in apps.items():
        config = uvicorn.Config(app, log_level=log_level, access_log=log_level in {"debug", "info"})
        servers.append(_Server(name, uvicorn.Server(config), socks[name]))
    try:
        for server in servers:
            server.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        for server in servers:
            server.wait_started(deadline)
        yield
    finally:
        for server in servers:
            server.server.should_exit = True
        for server in servers:
            server.stop()


@contextlib.contextmanager
def serve(
    app: FastAPI, host: str = DEFAULT_HOST, port: int = 0, *, log_level: str = "warning"
) -> Iterator[str]:
    """Serve one app with uvicorn in a thread; yields its base URL; stops it on exit."""
    sock = bind(host, port)
    with _serving({"app": app}, {"app": sock}, log_level):
        yield url_of(sock)


@dataclass
class Platform:
    urls: dict[str, str]
    apps: dict[str, FastAPI]

    def store(self, name: str) -> Any:
        """The in-memory store of service `name` (its `app.state.store`)."""
        return self.apps[name].state.store


@contextlib.contextmanager
def run_all(
    host: str = DEFAULT_HOST,
    ports: Mapping[str, int] | None = None,
    *,
    base_port: int | None = None,
    storage: StorageSettings | None = None,
    log_level: str = "warning",
) -> Iterator[Platform]:
    """Start the six services, wired to each other over real HTTP; stop them all on exit.

    Ports: `ports[name]` when given, else `base_port + position in SERVICES` when `base_port` is given,
    else a free port. `storage` sets the freezer layout (its `event_url` is replaced).
    """
    ports = dict(ports or {})
    unknown = set(ports) - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown service(s) {', '.join(sorted(unknown))}; services: {', '.join(SERVICES)}")
    defaults = default_ports(base_port) if base_port is not None else dict.fromkeys(SERVICES, 0)
    socks: dict[str, socket.socket] = {}
    try:
        for name in SERVICES:
            socks[name] = bind(host, ports.get(name, defaults[name]))
    except OSError:
        for sock in socks.values():
            sock.close()
        raise
    urls = {name: url_of(sock) for name, sock in socks.items()}
    apps = build_apps(urls, storage=storage)
    with _serving(apps, socks, log_level):
        yield Platform(urls=urls, apps=apps)
