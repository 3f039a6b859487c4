"""The CSV readers behind ``aggregate`` and ``replay``: the fast (pyarrow) reader gives what
the careful (Python csv) reader gives, and leaves every odd file to the careful one."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from crowdloop.algorithms.answers import Codebook
from crowdloop.cli._tables import ANSWER_COLUMNS, _read_rows, read_table
from crowdloop.errors import InvalidInput


def careful(path: Path) -> list[list[str]]:
    return _read_rows(path, ANSWER_COLUMNS, "labels file")[0]


def fast_rows(path: Path) -> tuple[list[list[str]], bool]:
    """The columns read_table gives, and whether the fast reader gave them."""
    table = read_table(path, ANSWER_COLUMNS, "labels file")
    used_fast = table._lines is None
    return [table.columns[name].rows() for name in ANSWER_COLUMNS], used_fast


NOTES = ["", "x", '"a ""b"""']


def messy_file(path: Path, n: int, *, bom: bool, newline: str) -> None:
    """Columns out of order, an extra column, padding, quoting, non-ASCII ids."""
    rng = random.Random(n)
    lines = ["Label , comment,TASK,worker"]
    for _ in range(n):
        task = f"t{rng.randrange(n // 3)}"
        worker = rng.choice(["w1", " w1", "w2 ", "wé", '"w,3"', "w4"])
        label = rng.choice(["cat", " cat", '"dog"', '"yes, mostly"', "ünï"])
        comment = rng.choice(NOTES)
        lines.append(f"{label},{comment},{task},{worker}")
    text = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


@pytest.mark.parametrize(("bom", "newline"), [(False, "\n"), (True, "\r\n")])
def test_fast_reader_equals_careful_reader_over_many_blocks(
    tmp_path: Path, bom: bool, newline: str
) -> None:
    path = tmp_path / "a.csv"
    messy_file(path, 150_000, bom=bom, newline=newline)  # several pyarrow blocks
    columns, used_fast = fast_rows(path)
    assert used_fast
    assert columns == careful(path)
    table = read_table(path, ANSWER_COLUMNS, "labels file")
    tasks = table.columns["task"]
    assert tasks.values == list(dict.fromkeys(columns[0]))  # order of first appearance
    assert table.line(10) == 12


@pytest.mark.parametrize(
    "text",
    [
        "task,worker,label\nt1,w1,cat\n\nt2,w2,dog\n",  # a blank line
        "task,worker,label\nt1,w1,cat\n,,\nt2,w2,dog\n",  # a line of empty cells
        "task,worker,label\nt1,w1,cat,extra\nt2,w2,dog\n",  # a wider row
        'task,worker,label,note\nt1,w1,cat,"two\nlines"\nt2,w2,dog,\n',  # newline in a value
        "task,worker,label\rt1,w1,cat\rt2,w2,dog\r",  # old Mac line ends
        "task,worker,label\nt1,w1,cat\nt2,w2,dog",  # no newline at the end
    ],
)
def test_odd_files_read_as_the_careful_reader_reads_them(tmp_path: Path, text: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text(text, encoding="utf-8", newline="")
    columns, _ = fast_rows(path)
    assert columns == careful(path)
    assert columns[0] == ["t1", "t2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # an unclosed quote in a column nobody reads still swallows the rows after it
        ('task,worker,label,note\nt1,w1,cat,"oops\nt2,w2,dog,\n', "line 3: not valid CSV"),
        ('task,worker,label\nt1,w1,"cat\n', "not valid CSV"),
        ("task,worker,label\nt1,w1,cat\nt2, ,dog\n", "line 3: empty worker"),
        ("task,worker,label\nt1,w1,cat\nt2,w2\n", "line 3: empty label"),
    ],
)
def test_bad_files_get_the_careful_readers_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(InvalidInput, match=message):
        read_table(path, ANSWER_COLUMNS, "labels file")


def test_encode_indexed_equals_encode() -> None:
    rng = np.random.default_rng(0)
    ids = [f"id{i}" for i in rng.permutation(50)]
    index = rng.integers(0, 50, 1000)
    rows = [ids[i] for i in index]
    for keep_order in (False, True):
        book = Codebook(ids, keep_order=keep_order)
        assert book.encode_indexed(ids, index).tolist() == book.encode(rows).tolist()
    with pytest.raises(ValueError, match="unknown id 'zz'"):
        Codebook(["a"]).encode_indexed(["a", "zz"], [0, 1])
