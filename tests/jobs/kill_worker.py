"""A `crowdloop worker` with one extra subscriber, for the kill -9 test (run as a script).

    python kill_worker.py MARKER hang|done

``hang``: the subscriber writes MARKER, then never returns (the test kills the process);
``done``: the subscriber writes MARKER and returns. The database comes from
CROWDLOOP_DATABASE_URL, like any crowdloop process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session

from crowdloop.config import Settings
from crowdloop.events.bus import Published, Subscriber
from crowdloop.jobs.consumer import run_standalone
from crowdloop.wiring import build


def main() -> None:
    marker, mode = Path(sys.argv[1]), sys.argv[2]
    platform = build(Settings())

    def handle(_session: Session, event: Published) -> None:
        marker.write_text(f"{mode} {event.id}")
        while mode == "hang":
            time.sleep(1)

    platform.bus.subscribe(Subscriber("tests.kill", handle))
    platform.jobs.record_signals()
    run_standalone(platform.jobs.huey, 1)


if __name__ == "__main__":
    main()
