"""The per-process notifier live pages wait on.

A wake-up (a commit in this process, a PostgreSQL NOTIFY, a Redis message or the poll)
only says "look at the outbox". The notifier then reads the heads (id, project) of the
events after its cursor, once for the whole process, and wakes the pages of the projects
they name; each page reads its own events with its own cursor (SSE ``Last-Event-ID``).

Ids are handed out at INSERT and become visible at COMMIT, so on PostgreSQL a transaction
holding id 10 may commit after the one holding id 11. A gap below the cursor is watched for
``GAP_SECONDS`` and its project woken when it fills (or forgotten: a rolled-back id).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Protocol, TypeVar, TypeVarTuple

from sqlalchemy.exc import SQLAlchemyError

from crowdloop.errors import Busy, Unavailable
from crowdloop.events import service as events
from crowdloop.events.live import repository
from crowdloop.events.live.repository import Head
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0  # while no push channel is connected (SQLite, or one reconnecting)
SAFETY_POLL_SECONDS = 10.0  # while one is: a net for a message lost in transit
GAP_SECONDS = 60.0
MAX_GAPS = 10_000
BATCH = 1000
READ_RETRY_SECONDS = 1.0
# What a read of the outbox may meet and get over by reading again: unit_of_work turns a
# dropped connection into Unavailable (a PostgreSQL restart) and a locked file into Busy.
READ_FAILED = (SQLAlchemyError, Unavailable, Busy)


class Announcer(Protocol):
    """Tells the other processes, after a commit that published (Redis pub/sub)."""

    def __call__(self) -> None: ...

    def close(self) -> None: ...


T = TypeVar("T")
Args = TypeVarTuple("Args")


class Ticket(asyncio.Event):
    """Set when a later event of the project is seen; ``seen_at`` (monotonic) is when the
    notifier had read it: a read begun after that shows it, so pages woken together can
    share one read."""

    seen_at: float = 0.0


Channel = Callable[["LiveNotifier"], Coroutine[Any, Any, None]]


class LiveNotifier:
    """Wakes this process's live pages, per project. Thread-safe: :meth:`committed` and
    :meth:`poke`; everything else runs on the event loop it was started on."""

    def __init__(
        self,
        db: Database,
        channels: Sequence[Channel] = (),
        *,
        announcer: Announcer | None = None,
        poll_seconds: float = POLL_SECONDS,
        safety_poll_seconds: float = SAFETY_POLL_SECONDS,
    ) -> None:
        self._db = db
        self._channels = tuple(channels)
        self._announcer = announcer
        self.poll_seconds = poll_seconds
        self.safety_poll_seconds = safety_poll_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wanted: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._reading: asyncio.Future[Any] | None = None
        self._signals: dict[int, Ticket] = {}
        self._cursor: int | None = None
        self._gaps: dict[int, float] = {}
        self._pushing = 0

    # -- any thread ---------------------------------------------------------------------

    def committed(self) -> None:
        """After a commit that published (``Bus.on_commit``): wake this process's pages,
        and the other processes' through Redis when it is configured."""
        self.poke()
        if self._announcer is not None:
            self._announcer()

    def poke(self) -> None:
        loop = self._loop
        # No live page is open in this process: nothing to wake (a page that opens later
        # reads its events by its own cursor; the scan catches up on its first wake).
        if loop is not None and self._signals:
            with suppress(RuntimeError):  # the loop closed in the meantime
                loop.call_soon_threadsafe(self.wake)

    def close(self) -> None:
        """Release the announcer's connections (the process is done publishing)."""
        if self._announcer is not None:
            self._announcer.close()

    # -- the event loop -----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._loop is not None

    @property
    def connected(self) -> bool:
        """Whether a channel from the other processes (LISTEN, Redis) is up."""
        return self._pushing > 0

    def wake(self) -> None:
        """Look at the outbox soon (channels call this on their messages)."""
        if self._wanted is not None:
            self._wanted.set()

    @contextmanager
    def pushing(self) -> Iterator[None]:
        """A channel is connected: while it is, the poll is only a safety net."""
        self._pushing += 1
        try:
            yield
        finally:
            self._pushing -= 1

    def ticket(self, project_id: int) -> Ticket | None:
        """Take before reading the project's events; it is set when newer ones are seen.
        None when the notifier does not run on this loop: :meth:`wait` then polls."""
        if self._loop is None or asyncio.get_running_loop() is not self._loop:
            return None
        signal = self._signals.get(project_id)
        if signal is None:
            signal = self._signals[project_id] = Ticket()
        return signal

    async def wait(self, ticket: Ticket | None, timeout: float) -> bool:
        """Whether the project changed (False: ``timeout`` passed first)."""
        if ticket is None:
            await asyncio.sleep(min(timeout, self.poll_seconds))
            return True
        try:
            await asyncio.wait_for(ticket.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def start(self) -> None:
        """Run on this loop. Already running (a second app on one platform, in tests):
        nothing, and that app's pages poll."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wanted = asyncio.Event()
        self._reading, self._cursor = None, None
        self._gaps.clear()
        try:  # from here on, no event is missed
            self._cursor = await self._off_loop(self._last_id)
        except READ_FAILED as exc:  # the scan takes it later
            log.warning("live updates: could not read the outbox (%s)", exc)
        self._tasks = [asyncio.create_task(self._scan_forever(), name="live-scan")]
        self._tasks += [asyncio.create_task(channel(self)) for channel in self._channels]
        for task in self._tasks:
            task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        if self._loop is not asyncio.get_running_loop():
            return  # not started here
        tasks, self._tasks = self._tasks, []
        self._loop = self._wanted = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._reading is not None:  # let the thread finish with its connection
            await asyncio.gather(self._reading, return_exceptions=True)
        for signal in self._signals.values():
            signal.set()
        self._signals.clear()

    async def _off_loop(self, read: Callable[[*Args], T], *args: *Args) -> T:
        """A read in a worker thread. Shielded: stop() waits for it, no thread is left
        behind with a connection of a database that is about to be disposed."""
        assert self._loop is not None
        self._reading = self._loop.run_in_executor(None, read, *args)
        result: T = await asyncio.shield(self._reading)
        return result

    async def _scan_forever(self) -> None:
        wanted = self._wanted
        assert wanted is not None
        if self._cursor is None:
            wanted.set()
        while True:
            period = self.safety_poll_seconds if self._pushing else self.poll_seconds
            with suppress(TimeoutError):
                await asyncio.wait_for(wanted.wait(), period)
            wanted.clear()
            try:
                await self._scan()
            except READ_FAILED as exc:
                log.warning("live updates: could not read the outbox (%s)", exc)
                await asyncio.sleep(READ_RETRY_SECONDS)
                wanted.set()

    async def _scan(self) -> None:
        if self._cursor is None:
            self._cursor = await self._off_loop(self._last_id)
            return
        cursor = self._cursor
        filled, new = await self._off_loop(self._read, cursor, list(self._gaps))
        seen_at = time.monotonic()
        for project_id in self._advance(cursor, filled, new):
            signal = self._signals.pop(project_id, None)
            if signal is not None:
                signal.seen_at = seen_at
                signal.set()

    def _last_id(self) -> int:
        with unit_of_work(self._db, write=False) as session:
            return events.last_event_id(session)

    def _read(self, cursor: int, gaps: list[int]) -> tuple[list[Head], list[Head]]:
        """(heads of gaps that filled, heads after the cursor)."""
        with unit_of_work(self._db, write=False) as session:
            filled = repository.heads_among(session, gaps)
            new: list[Head] = []
            while True:
                batch = repository.heads_after(session, cursor, limit=BATCH)
                new += batch
                if len(batch) < BATCH:
                    return filled, new
                cursor = batch[-1][0]

    def _advance(self, cursor: int, filled: list[Head], new: list[Head]) -> set[int]:
        """Move the cursor, note and expire gaps; the projects to wake."""
        now = time.monotonic()
        for event_id, _ in filled:
            self._gaps.pop(event_id, None)
        seen = cursor
        for event_id, _ in new:
            if event_id - seen <= MAX_GAPS:
                self._gaps.update(dict.fromkeys(range(seen + 1, event_id), now))
            seen = event_id
        self._cursor = seen
        while self._gaps and (
            len(self._gaps) > MAX_GAPS or next(iter(self._gaps.values())) < now - GAP_SECONDS
        ):
            del self._gaps[next(iter(self._gaps))]
        return {project for _, project in (*filled, *new) if project is not None}


def _report_crash(task: asyncio.Task[None]) -> None:
    """A loop that died of an error nobody expected: say so (pages then rely on the poll,
    or on nothing if it was the scan) instead of failing silently."""
    if not task.cancelled() and task.exception() is not None:
        log.error("live updates: %s stopped", task.get_name(), exc_info=task.exception())
