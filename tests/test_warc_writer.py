"""The WARC writer's guarantees on a failing or slow disk, and repair's respect for a live writer
(single-process tests: the raw file is wrapped to fail or take writes in part)."""

from __future__ import annotations

import errno
import os

import pytest

from newsspider.archive import warc as warc_module
from newsspider.archive.reader import Damaged, Located, index
from newsspider.archive.warc import ArchiveError, WarcArchive, repair


def exchange(archive, n):
    archive.write_exchange(
        f"http://h/bnews/x/20240101/{n}.html",
        "GET",
        [],
        b"",
        200,
        "HTTP/1.1",
        [("Content-Type", "text/html")],
        os.urandom(3000) * 3,
    )


class Raw:
    def __init__(self, real, limit=None, fail_after=None):
        self.real, self.limit, self.fail_after, self.written = real, limit, fail_after, 0

    def write(self, data):
        data = bytes(data)
        if self.fail_after is not None and self.written + len(data) > self.fail_after:
            take = max(0, self.fail_after - self.written)
            self.real.write(data[:take])
            self.written += take
            raise OSError(errno.ENOSPC, "No space left on device")
        if self.limit:
            data = data[: self.limit]
        n = self.real.write(data)
        self.written += n
        return n

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_file_that_cannot_be_cut_back_stays_open(tmp_path, monkeypatch):
    archive = WarcArchive(tmp_path, "run", 10**9, {"software": "t"})
    exchange(archive, 1)
    archive._writer.out.raw = Raw(archive._writer.out.raw, fail_after=1000)
    monkeypatch.setattr(warc_module.os, "ftruncate", lambda *a: (_ for _ in ()).throw(OSError(errno.EIO, "EIO")))
    with pytest.raises(ArchiveError):
        exchange(archive, 2)
    archive.close()
    assert list(tmp_path.glob("*.warc.gz")) == [] and len(list(tmp_path.glob("*.warc.gz.open"))) == 1


def test_a_write_the_disk_took_in_part_is_completed(tmp_path):
    archive = WarcArchive(tmp_path, "run", 10**9, {"software": "t"})
    exchange(archive, 1)
    archive._writer.out.raw = Raw(archive._writer.out.raw, limit=100)  # short writes, no error
    exchange(archive, 2)
    archive.close()
    (path,) = tmp_path.glob("*.warc.gz")
    found = list(index(path))
    assert not [f for f in found if isinstance(f, Damaged)] and len([f for f in found if isinstance(f, Located)]) == 2


def test_repair_leaves_a_file_a_live_writer_holds(tmp_path):
    archive = WarcArchive(tmp_path, "run", 10**9, {"software": "t"})
    exchange(archive, 1)
    assert repair(archive.current) == -1
    assert archive.current.exists()
    archive.close()
