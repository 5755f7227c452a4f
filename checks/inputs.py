"""Files the grader reads that a person hands it (a roster, saved reports, a shard's marker, evidence).

Each is read only when it is a regular file, and only up to a bound for its kind: a FIFO, a device or
a folder named in its place is refused at once (opening a FIFO for reading would wait for a writer
forever), and so is a file larger than any real one of its kind.
"""

from __future__ import annotations

import os
import stat

KIB, MIB = 1024, 1024 * 1024
REPORT_LIMIT = 8 * MIB  # a student's JSON report is tens of kilobytes
MARKER_LIMIT = 4 * KIB  # a shard's marker is one line
EVIDENCE_LIMIT = 256 * MIB  # an account's kept answers: a class account's lists, with room to spare


class NotAFile(OSError):
    """Not a regular file, or larger than its kind's bound: ``str()`` says which, in one line."""


def read_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """The file's bytes: a regular file of at most ``limit`` bytes, else :class:`NotAFile` (or the OSError
    of opening it)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(f"{os.fspath(path)} is not a regular file")
        if st.st_size > limit:
            raise NotAFile(f"{os.fspath(path)} is larger than {_size(limit)}: not a file of this kind")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 * MIB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while read
                raise NotAFile(f"{os.fspath(path)} is larger than {_size(limit)}: not a file of this kind")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], limit: int) -> str:
    """:func:`read_bytes` as UTF-8 text (a UnicodeDecodeError, a ValueError, says where it is not)."""
    return read_bytes(path, limit).decode("utf-8")


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB else f"{limit // KIB} KiB"
