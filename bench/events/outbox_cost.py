"""Outbox cost per answer: the labelling loop before and after the events/jobs commit, side by side.

    .venv/bin/python bench/events/outbox_cost.py --before 6baaf7f --after HEAD \
        --backends sqlite postgresql --workers 1 10 --duration 12 --reps 3

Two git worktrees (``/tmp/cl-before``, ``/tmp/cl-after``) are made from the two commits and
removed at the end (``--keep-worktrees`` keeps them). Each run is a child process of this
script with ``PYTHONPATH`` on its own worktree's ``src`` and ``bench/foundation``: it seeds
with that side's ``common.seed``, serves that side's app with uvicorn (the same way as
``bench/foundation/loop.py``) and drives it with that side's ``loop._drive`` (N workers,
``next`` then ``submit``, 2 s warm-up). Runs alternate before/after, rep after rep.

The "after" server runs its jobs embedded (the default, ``CROWDLOOP_JOBS_EMBEDDED=1``), so
the relay woken after each commit runs in the measured process. Periodic re-inference and
the AI cycle are off on both sides (``CROWDLOOP_REFIT_INTERVAL_SECONDS=0``,
``CROWDLOOP_AI_INTERVAL_SECONDS=0``): a re-fit landing in a 12 s window is noise, not outbox.

Per run: answers/s after warm-up, next/submit p50/p99, server CPU (utime+stime of uvicorn
and its children from /proc) and, on PostgreSQL, the CPU of the backends connected to the
benchmark database, both per committed answer (every answer in the database / the CPU of
the whole drive, warm-up included); after the drive the "after" side waits until the relay
has dispatched every event and that tail's server CPU is added (``*_with_drain``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from outbox_db import PgBackends, fresh_database, outbox_counts, wait_dispatched

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
PORT = 8791
QUIET_ENV = {"CROWDLOOP_REFIT_INTERVAL_SECONDS": "0", "CROWDLOOP_AI_INTERVAL_SECONDS": "0"}
PY_SPY = os.environ.get("PY_SPY", "py-spy")


# ---------------------------------------------------------------- parent: worktrees and runs


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_worktree(side: str, ref: str) -> tuple[Path, str]:
    path = Path(f"/tmp/cl-{side}")
    commit = git("rev-parse", ref)
    if path.exists():
        git("-C", str(path), "checkout", "--detach", commit)
    else:
        git("worktree", "add", "--detach", str(path), commit)
    return path, commit


def run_child(side: str, tree: Path, args: argparse.Namespace, backend: str, n: int) -> dict:
    env = {
        **os.environ,
        **QUIET_ENV,
        "PYTHONPATH": f"{tree / 'src'}:{tree / 'bench' / 'foundation'}",
    }
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        side,
        "--tree",
        str(tree),
        "--backends",
        backend,
        "--workers",
        str(n),
        "--duration",
        str(args.duration),
        "--tasks",
        str(args.tasks),
    ]
    if args.py_spy:
        command += ["--py-spy", f"{args.py_spy}_{side}_{backend}_{n}.txt"]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def parent(args: argparse.Namespace) -> None:
    trees = {
        side: make_worktree(side, ref)
        for side, ref in (("before", args.before), ("after", args.after))
    }
    rows: list[dict[str, Any]] = []
    try:
        for rep in range(args.reps):
            for backend in args.backends:
                for n in args.workers:
                    order = ("before", "after") if rep % 2 == 0 else ("after", "before")
                    for side in order:
                        row = run_child(side, trees[side][0], args, backend, n)
                        row.update(rep=rep, commit=trees[side][1])
                        rows.append(row)
                        print(json.dumps(_brief(row)), flush=True)
    finally:
        if not args.keep_worktrees:
            for path, _ in trees.values():
                git("worktree", "remove", "--force", str(path))
    summary = summarize(rows)
    for line in summary:
        print(json.dumps(line))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{args.name}.json"
    payload = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "commits": {side: commit for side, (_, commit) in trees.items()},
        "env": QUIET_ENV,
        "summary": summary,
        "runs": rows,
    }
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print("saved", path)


BRIEF_KEYS = (
    "side",
    "backend",
    "workers",
    "answers_per_s",
    "next_p50_ms",
    "next_p99_ms",
    "submit_p50_ms",
    "submit_p99_ms",
    "server_cpu_ms_per_answer",
    "server_cpu_ms_per_answer_with_drain",
    "pg_cpu_ms_per_answer",
    "events_per_answer",
    "loadavg_before",
)


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in BRIEF_KEYS}


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median over repetitions, per (backend, workers, side)."""
    keys = sorted({(r["backend"], r["workers"], r["side"]) for r in rows}, key=str)
    out = []
    for backend, n, side in keys:
        group = [r for r in rows if (r["backend"], r["workers"], r["side"]) == (backend, n, side)]
        line: dict[str, Any] = {"backend": backend, "workers": n, "side": side, "reps": len(group)}
        for k in BRIEF_KEYS[3:]:
            values = [r[k] for r in group if r.get(k) is not None]
            if values:
                line[k] = round(statistics.median(values), 2)
                line[k + "_range"] = [min(values), max(values)]
        out.append(line)
    return out


# ---------------------------------------------------------------- child: one run on one side


def child(args: argparse.Namespace) -> None:
    import asyncio

    import common  # the side's bench/foundation/common.py, from PYTHONPATH
    import loop

    import crowdloop

    tree = Path(args.tree)
    source = Path(crowdloop.__file__).resolve()
    if not source.is_relative_to(tree):
        raise SystemExit(f"crowdloop imported from {source}, not from {tree}")
    common.VENV_BIN = REPO / ".venv" / "bin"  # worktrees have no virtualenv of their own
    backend, n = args.backends[0], args.workers[0]
    url = fresh_database(backend)
    seeded = common.seed(url, n_workers=n, n_tasks=args.tasks)
    load0 = _loadavg()
    with common.Server(url, port=PORT, pythonpath=str(tree / "src")) as server:
        pids = server.pids()
        pg = PgBackends(url)
        spy = _py_spy(args.py_spy, server.proc.pid, args.duration + loop.WARMUP_S)
        pg_cpu0, cpu0, w0 = pg.cpu(), common.cpu_seconds(pids), time.perf_counter()
        st = asyncio.run(loop._drive(server.base, seeded, n, "two", args.duration))
        wall = time.perf_counter() - w0
        if spy is not None:
            spy.wait()
        cpu1, pg_cpu1 = common.cpu_seconds(pids), pg.cpu()
        drain_s = wait_dispatched(url)
        cpu2, pg_cpu2 = common.cpu_seconds(pids), pg.cpu()
        pg.close()
    counts = outbox_counts(url)
    answers = max(1, counts["submitted_answers"])
    row = {
        "side": args.child,
        "backend": backend,
        "workers": n,
        "crowdloop_src": str(source.parent),
        "duration_s": args.duration,
        "wall_s": round(wall, 2),
        "answers": st.answers,
        "answers_per_s": round(st.answers / args.duration, 1),
        **loop._lat("next", st.next_ms),
        **loop._lat("submit", st.submit_ms),
        "server_cpu_s": round(cpu1 - cpu0, 3),
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / wall, 1),
        "server_cpu_ms_per_answer": round(1000 * (cpu1 - cpu0) / answers, 2),
        "server_cpu_ms_per_answer_with_drain": round(1000 * (cpu2 - cpu0) / answers, 2),
        "drain_s": drain_s,
        "pg_cpu_ms_per_answer": (
            round(1000 * (pg_cpu1 - pg_cpu0) / answers, 2) if backend == "postgresql" else None
        ),
        "pg_cpu_ms_per_answer_with_drain": (
            round(1000 * (pg_cpu2 - pg_cpu0) / answers, 2) if backend == "postgresql" else None
        ),
        "loadavg_before": load0,
        "loadavg_after": _loadavg(),
        "errors": st.errors,
        **counts,
        "events_per_answer": (
            round(counts["events"] / answers, 2) if counts["events"] is not None else None
        ),
    }
    print(json.dumps(row, default=str), flush=True)


def _py_spy(out: str | None, pid: int, seconds: float) -> subprocess.Popen[bytes] | None:
    """Sample the server's threads with py-spy (collapsed stacks) during the drive."""
    if not out:
        return None
    command = [PY_SPY, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--rate", "200", "--format", "raw", "--output", out, "--threads"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", default="6baaf7f")
    ap.add_argument("--after", default="HEAD")
    ap.add_argument("--backends", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--duration", type=float, default=12)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--name", default="outbox_cost")
    ap.add_argument("--keep-worktrees", action="store_true")
    ap.add_argument(
        "--py-spy", help="profile each server with py-spy into PREFIX_<side>_<backend>_<n>.txt"
    )
    ap.add_argument("--child", choices=["before", "after"], help=argparse.SUPPRESS)
    ap.add_argument("--tree", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
