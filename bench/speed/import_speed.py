"""`crowdloop import` as a user runs it, side by side with the plain floor, in one run.

    .venv/bin/python bench/speed/import_speed.py --backend sqlite --tasks 300000 --runs 3
    .venv/bin/python bench/speed/import_speed.py --backend postgresql --tasks 300000 --runs 3

A JSONL file of N tasks (``{"data": {"text": ...}, "external_id": "t<i>"}``, the shape of
bench/foundation/import_bench.py) is written to a temporary directory. A template database is
made once with the CLI (``db upgrade``, ``users create``, ``project create``); every run then
gets a fresh copy of it. Each run times two whole processes, in turn:

- **crowdloop**: ``crowdloop --database-url URL import 1 FILE`` (startup, validation, the
  duplicate check, the insert and the commit included);
- **floor**: a plain Python process doing ``json.loads`` per line and one ``sqlite3``
  ``executemany`` (PostgreSQL: one psycopg ``COPY``) of the same rows into the same table.

CPU seconds (user + system) and peak RSS are the kernel's accounting of each finished child
(``os.wait4``). Ratios are taken run by run, so that a noisy machine still gives a fair
figure. Results are printed and written to bench/speed/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
COLUMNS = (
    "project_id, batch_id, external_id, data, priority, required_skills, is_control, "
    "overlap, slots, n_answers, n_active, created_at"
)


def crowdloop_command() -> list[str]:
    script = Path(sys.executable).parent / "crowdloop"
    return [str(script)] if script.exists() else [sys.executable, "-m", "crowdloop"]


def write_tasks(path: Path, n: int) -> None:
    with path.open("w") as out:
        for i in range(n):
            body = f"task number {i}: is this a cat, a dog or a bird?"
            out.write(json.dumps({"data": {"text": body}, "external_id": f"t{i}"}) + "\n")


def cli(url: str, *args: str) -> str:
    done = subprocess.run(
        [*crowdloop_command(), "--database-url", url, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"crowdloop {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def make_template(url: str) -> None:
    cli(url, "db", "upgrade")
    cli(url, "users", "create", "req", "--role", "requester", "--password", "bench-secret")
    cli(
        url,
        "project",
        "create",
        "--owner",
        "req",
        "--name",
        "bench",
        "--type",
        "single_choice",
        "--labels",
        "cat,dog,bird",
    )


# ---------------------------------------------------------------- databases


class SqliteDatabases:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.template = work / "template.db"
        make_template(f"sqlite:///{self.template}")

    @contextmanager
    def fresh(self) -> Iterator[str]:
        path = self.work / f"run-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.template, path)
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresDatabases:
    def __init__(self) -> None:
        import psycopg  # lazy: only the PostgreSQL run needs it

        self.psycopg = psycopg
        self.admin_dsn = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
        self.template = f"crowdloop_speed_tpl_{uuid.uuid4().hex[:8]}"
        self._sql(f'CREATE DATABASE "{self.template}"')
        make_template(self.url(self.template))

    def url(self, name: str) -> str:
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def _sql(self, sql: str) -> None:
        with self.psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql)

    @contextmanager
    def fresh(self) -> Iterator[str]:
        name = f"crowdloop_speed_{uuid.uuid4().hex[:8]}"
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        try:
            yield self.url(name)
        finally:
            self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


def count_tasks(url: str) -> int:
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute("SELECT count(*) FROM tasks").fetchone()[0])
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT count(*) FROM tasks").fetchone()
        return int(row[0]) if row else 0


# ---------------------------------------------------------------- the plain floor


def _floor_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000")
    with path.open("rb") as lines:
        for line in lines:
            obj = json.loads(line)
            yield (
                1,
                None,
                obj["external_id"],
                json.dumps(obj["data"]),
                0,
                "[]",
                False,
                3,
                3,
                0,
                0,
                now,
            )


def floor(url: str, path: Path) -> None:
    """The plain floor, run in its own process: json per line, one executemany (or COPY)."""
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        marks = ", ".join("?" * 12)
        conn.executemany(f"INSERT INTO tasks ({COLUMNS}) VALUES ({marks})", list(_floor_rows(path)))
        conn.commit()
        conn.close()
        return
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY tasks ({COLUMNS}) FROM STDIN") as copy,
    ):
        for row in _floor_rows(path):
            copy.write_row(row)


# ---------------------------------------------------------------- measuring


def measure(cmd: list[str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"{' '.join(cmd[:4])} exited {code}: {err.strip()[-500:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "stdout": out.strip()[-200:],
    }


def one_run(dbs: Any, path: Path, n: int) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    commands = {
        "crowdloop": lambda url: [
            *crowdloop_command(),
            "--database-url",
            url,
            "import",
            "1",
            str(path),
        ],
        "floor": lambda url: [sys.executable, __file__, "--floor", url, str(path)],
    }
    for name, command in commands.items():
        with dbs.fresh() as url:
            res = measure(command(url))
            stored = count_tasks(url)
        if stored != n:
            raise SystemExit(f"{name}: {stored} tasks stored, expected {n}")
        res["tasks_per_s"] = n / res["wall_s"]
        res["cpu_s_per_100k"] = res["cpu_s"] / n * 100_000
        runs[name] = res
    runs["ratio_wall"] = runs["crowdloop"]["wall_s"] / runs["floor"]["wall_s"]
    runs["ratio_cpu"] = runs["crowdloop"]["cpu_s"] / runs["floor"]["cpu_s"]
    return runs


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    med = statistics.median
    out: dict[str, Any] = {}
    for name in ("crowdloop", "floor"):
        out[name] = {
            key: round(med(r[name][key] for r in runs), 3)
            for key in ("tasks_per_s", "cpu_s", "cpu_s_per_100k", "peak_rss_mb", "wall_s")
        }
    out["ratio_wall"] = round(med(r["ratio_wall"] for r in runs), 2)
    out["ratio_cpu"] = round(med(r["ratio_cpu"] for r in runs), 2)
    return out


def show(backend: str, n: int, summary: dict[str, Any]) -> None:
    print(f"\n{backend}, {n:,} tasks, medians of the runs")
    print(f"{'':10} {'tasks/s':>9} {'CPU s':>7} {'CPU s/100k':>10} {'peak MB':>8}")
    for name in ("crowdloop", "floor"):
        s = summary[name]
        print(
            f"{name:10} {s['tasks_per_s']:>9,.0f} {s['cpu_s']:>7.2f} "
            f"{s['cpu_s_per_100k']:>10.2f} {s['peak_rss_mb']:>8.0f}"
        )
    print(f"crowdloop / floor: {summary['ratio_wall']}x wall, {summary['ratio_cpu']}x CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--tasks", type=int, default=300_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--label", default="", help="suffix of the results file")
    ap.add_argument("--floor", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor:
        floor(args.floor[0], Path(args.floor[1]))
        return
    with tempfile.TemporaryDirectory(prefix="crowdloop-speed-") as tmp:
        work = Path(tmp)
        path = work / f"tasks_{args.tasks}.jsonl"
        write_tasks(path, args.tasks)
        dbs: Any = SqliteDatabases(work) if args.backend == "sqlite" else PostgresDatabases()
        try:
            runs = [one_run(dbs, path, args.tasks) for _ in range(args.runs)]
        finally:
            if args.backend == "postgresql":
                dbs.close()
    summary = summarize(runs)
    show(args.backend, args.tasks, summary)
    RESULTS.mkdir(exist_ok=True)
    name = f"import_{args.backend}_{args.tasks}{'_' + args.label if args.label else ''}.json"
    record = {
        "backend": args.backend,
        "tasks": args.tasks,
        "summary": summary,
        "runs": runs,
        "loadavg": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    (RESULTS / name).write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
