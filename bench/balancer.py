"""A small TCP load balancer for the scale-out load test (`bench/load_scaleout.py`): round robin over app instances.

    python bench/balancer.py --listen 127.0.0.1:8770 --backend 127.0.0.1:8771 --backend 127.0.0.1:8772

Each client connection goes to the next backend in turn. A backend that refuses the connection
(its process is dead or restarting) is skipped, and the connection goes to the next one, so no request
is lost to a dead instance before it was sent; the refused backend is tried again after a second.
A request already handed to an instance that then dies is lost with it: the client sees its connection
closed without an answer (what any layer-4 balancer does; the load test counts these). On SIGTERM it
prints, as one JSON line on stdout, how many connections each backend took, how many of them broke (the
backend closed with a request unanswered) and how many the client abandoned (it closed first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from dataclasses import dataclass, field

RETRY_AFTER = 1.0  # seconds a refusing backend is left out


@dataclass
class Backend:
    host: str
    port: int
    down_until: float = 0.0
    connections: int = 0
    refused: int = 0
    # Connections whose backend closed or failed before sending anything back: requests lost in flight.
    broken: int = 0
    # Connections the client closed with a request unanswered (wrk stopping at the end of its run): not the
    # backend's doing.
    abandoned: int = 0
    events: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"


class Balancer:
    def __init__(self, backends: list[Backend]) -> None:
        self.backends = backends
        self.next = 0
        self.unplaced = 0  # connections no backend would take
        self.started = time.monotonic()
        # The connections' tasks, held here: the event loop keeps only weak references to tasks, and a connection
        # whose two ends went quiet was collected while pending ("Task was destroyed but it is pending!").
        self._tasks: set[asyncio.Task[None]] = set()

    def _hold(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _note(self, backend: Backend, event: str) -> None:
        backend.events.append(f"{time.monotonic() - self.started:.1f}s {event}")

    async def _connect(self) -> tuple[Backend, asyncio.StreamReader, asyncio.StreamWriter] | None:
        now = time.monotonic()
        order = [
            self.backends[(self.next + i) % len(self.backends)] for i in range(len(self.backends))
        ]
        self.next = (self.next + 1) % len(self.backends)
        # Healthy ones first, in turn; then those marked down, in case they came back early.
        for backend in sorted(order, key=lambda b: b.down_until > now):
            try:
                reader, writer = await asyncio.open_connection(backend.host, backend.port)
            except OSError:
                backend.refused += 1
                if backend.down_until <= now:
                    self._note(backend, "refused: left out for a second")
                backend.down_until = time.monotonic() + RETRY_AFTER
                continue
            if backend.down_until > now:
                self._note(backend, "accepting again")
            backend.down_until = 0.0
            backend.connections += 1
            return backend, reader, writer
        return None

    async def handle(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        this = asyncio.current_task()
        if this is not None:
            self._hold(this)
        placed = await self._connect()
        if placed is None:
            self.unplaced += 1
            client_writer.close()
            return
        backend, reader, writer = placed
        asked, answered = asyncio.Event(), asyncio.Event()
        ended: list[str] = []  # which side's stream ended first: "client" or "backend"

        async def pipe(
            source: asyncio.StreamReader, sink: asyncio.StreamWriter, from_backend: bool
        ) -> None:
            try:
                while data := await source.read(65536):
                    (answered if from_backend else asked).set()
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                ended.append("backend" if from_backend else "client")
                try:
                    sink.close()
                except (ConnectionError, OSError):
                    pass

        upstream = self._hold(asyncio.create_task(pipe(client_reader, writer, False)))
        downstream = self._hold(asyncio.create_task(pipe(reader, client_writer, True)))
        await downstream
        upstream.cancel()
        if asked.is_set() and not answered.is_set():
            # The client's side ended first (it closed, and its pipe then closed the backend's): abandoned.
            if ended[0] == "client":
                backend.abandoned += 1
            else:
                backend.broken += 1

    def summary(self) -> dict[str, object]:
        return {
            "unplaced": self.unplaced,
            "backends": {
                b.name: {
                    "connections": b.connections,
                    "refused": b.refused,
                    "broken": b.broken,
                    "abandoned": b.abandoned,
                    "events": b.events,
                }
                for b in self.backends
            },
        }


async def serve(listen: str, backends: list[Backend]) -> None:
    balancer = Balancer(backends)
    host, port = listen.rsplit(":", 1)
    server = await asyncio.start_server(balancer.handle, host, int(port), backlog=512)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(json.dumps(balancer.summary()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--backend", action="append", required=True)
    args = parser.parse_args()
    backends = []
    for item in args.backend:
        host, port = item.rsplit(":", 1)
        backends.append(Backend(host, int(port)))
    asyncio.run(serve(args.listen, backends))


if __name__ == "__main__":
    main()
