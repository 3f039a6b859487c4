"""Stream a blocking byte iterator from one dedicated thread, with backpressure.

Starlette iterates a sync iterator by hopping to the thread pool for every chunk, so a long
export allocates from dozens of threads (and their malloc arenas). Here one producer thread
runs the whole iterator and hands chunks over a small bounded queue; when the client goes
away the producer stops at its next chunk.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncIterator, Iterator

import anyio.to_thread

_DONE = object()
_POLL_SECONDS = 0.5


def _produce(chunks: Iterator[bytes], out: queue.Queue[object], stop: threading.Event) -> None:
    try:
        for chunk in chunks:
            while not stop.is_set():
                try:
                    out.put(chunk, timeout=_POLL_SECONDS)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
    except Exception as exc:  # handed to the consumer, which re-raises it
        out.put(exc)
        return
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    out.put(_DONE)


async def in_one_thread(chunks: Iterator[bytes], *, buffer: int = 8) -> AsyncIterator[bytes]:
    """Async view of ``chunks``, produced by a single background thread."""
    out: queue.Queue[object] = queue.Queue(maxsize=buffer)
    stop = threading.Event()
    producer = threading.Thread(target=_produce, args=(chunks, out, stop), daemon=True)
    producer.start()
    try:
        while True:
            item = await anyio.to_thread.run_sync(out.get)
            if item is _DONE:
                return
            if isinstance(item, Exception):
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        stop.set()
