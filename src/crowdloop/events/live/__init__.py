"""Live pages across processes: one notifier per process wakes the pages that wait on a
project, whichever process (a server, ``crowdloop worker``, the CLI) committed the event.

- :mod:`.notifier`: the asyncio-side broadcaster pages wait on; it reads the heads of new
  events once per wake-up (one query per process, not per page);
- :mod:`.channels`: what wakes it across processes (PostgreSQL LISTEN, Redis pub/sub) and
  the Redis announcement every process sends after a commit that published;
- :mod:`.repository`: its queries.

How a change travels: docs/web.md, "Live updates".
"""

from crowdloop.events.live.channels import RedisAnnouncer, channels_for
from crowdloop.events.live.notifier import LiveNotifier, Ticket

__all__ = ["LiveNotifier", "RedisAnnouncer", "Ticket", "channels_for"]
