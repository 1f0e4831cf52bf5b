#!/usr/bin/env python3
"""A filesystem that loses what was not synced, as a power cut does.

    lossyfs.py BACKING MOUNTPOINT CONTROL_SOCKET

Mounts BACKING at MOUNTPOINT through FUSE (fusepy, libfuse2). Data written to a file stays
in this process's memory — the "page cache" — until the file is fsynced (or fdatasynced):
only then does it reach BACKING, the "disk". A line `cut` sent to CONTROL_SOCKET is the power
cut: every unsynced write and truncation is dropped, and the answer `ok` says so. Reads
through the mount see the unsynced data, as they would through a page cache.

What is simplified: creating, removing and renaming files reach the disk at once (a real
filesystem may lose them too without a directory sync). SQLite's WAL mode creates its files
once and then only writes and syncs them, so that is what this test needs. The `-shm` file
(SQLite's wal-index, memory-mapped and rebuilt from the WAL after a crash) passes straight
through.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading

from fuse import FUSE, FuseOSError, Operations

PAGE = 4096


class Pending:
    """Unsynced state of one file: dirty pages, the logical size, and how much of the disk's
    copy still counts (a truncation cuts it; growing again gives zeros, not old bytes)."""

    def __init__(self, size: int):
        self.size = size
        self.valid = size
        self.pages: dict[int, bytearray] = {}


class LossyFS(Operations):
    def __init__(self, root: str):
        self.root = root
        self.guard = threading.RLock()
        self.pending: dict[str, Pending] = {}
        self.cuts = 0

    # -- helpers ----------------------------------------------------------------------
    def full(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def buffered(self, path: str) -> bool:
        return not path.endswith("-shm")

    def disk_size(self, path: str) -> int:
        try:
            return os.stat(self.full(path)).st_size
        except FileNotFoundError:
            return 0

    def state(self, path: str) -> Pending:
        p = self.pending.get(path)
        if p is None:
            p = self.pending[path] = Pending(self.disk_size(path))
        return p

    def page(self, path: str, p: Pending, n: int) -> bytearray:
        """Page `n` as the file holds it now: dirty, or the disk's where it still counts."""
        if n in p.pages:
            return p.pages[n]
        start = n * PAGE
        data = b""
        if start < p.valid:
            with open(self.full(path), "rb") as f:
                f.seek(start)
                data = f.read(min(PAGE, p.valid - start))
        return bytearray(data.ljust(PAGE, b"\0"))

    def sync(self, path: str) -> None:
        p = self.pending.pop(path, None)
        if p is None:
            return
        fd = os.open(self.full(path), os.O_WRONLY)
        try:
            if p.valid < os.fstat(fd).st_size:
                os.ftruncate(fd, p.valid)
            for n in sorted(p.pages):
                start = n * PAGE
                if start >= p.size:
                    continue
                os.pwrite(fd, bytes(p.pages[n][: p.size - start]), start)
            os.ftruncate(fd, p.size)
            os.fsync(fd)
        finally:
            os.close(fd)

    def cut(self) -> None:
        with self.guard:
            self.pending.clear()
            self.cuts += 1

    # -- metadata (durable at once) ---------------------------------------------------
    def getattr(self, path, fh=None):
        with self.guard:
            try:
                st = os.lstat(self.full(path))
            except FileNotFoundError:
                raise FuseOSError(errno.ENOENT)
            attrs = {k: getattr(st, k) for k in (
                "st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_atime",
                "st_mtime", "st_ctime")}
            if path in self.pending:
                attrs["st_size"] = self.pending[path].size
            return attrs

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self.full(path))

    def mkdir(self, path, mode):
        os.mkdir(self.full(path), mode)

    def rmdir(self, path):
        os.rmdir(self.full(path))

    def unlink(self, path):
        with self.guard:
            self.pending.pop(path, None)
            os.unlink(self.full(path))

    def rename(self, old, new):
        with self.guard:
            os.rename(self.full(old), self.full(new))
            if old in self.pending:
                self.pending[new] = self.pending.pop(old)

    def chmod(self, path, mode):
        os.chmod(self.full(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self.full(path), uid, gid)

    def utimens(self, path, times=None):
        os.utime(self.full(path), times)

    def statfs(self, path):
        st = os.statvfs(self.full(path))
        return {k: getattr(st, k) for k in (
            "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files",
            "f_flag", "f_frsize", "f_namemax")}

    def access(self, path, amode):
        if not os.access(self.full(path), amode):
            raise FuseOSError(errno.EACCES)

    # -- data (in memory until synced) ------------------------------------------------
    def create(self, path, mode, fi=None):
        fd = os.open(self.full(path), os.O_WRONLY | os.O_CREAT, mode)
        os.close(fd)
        return 0

    def open(self, path, flags):
        if not os.path.exists(self.full(path)):
            raise FuseOSError(errno.ENOENT)
        return 0

    def read(self, path, size, offset, fh):
        with self.guard:
            if not self.buffered(path) or path not in self.pending:
                with open(self.full(path), "rb") as f:
                    f.seek(offset)
                    return f.read(size)
            p = self.pending[path]
            end = min(offset + size, p.size)
            out = bytearray()
            pos = offset
            while pos < end:
                n, within = divmod(pos, PAGE)
                page = self.page(path, p, n)
                take = min(PAGE - within, end - pos)
                out += page[within : within + take]
                pos += take
            return bytes(out)

    def write(self, path, data, offset, fh):
        with self.guard:
            if not self.buffered(path):
                fd = os.open(self.full(path), os.O_WRONLY)
                try:
                    return os.pwrite(fd, data, offset)
                finally:
                    os.close(fd)
            p = self.state(path)
            pos, i = offset, 0
            while i < len(data):
                n, within = divmod(pos, PAGE)
                page = p.pages[n] = self.page(path, p, n)
                take = min(PAGE - within, len(data) - i)
                page[within : within + take] = data[i : i + take]
                pos += take
                i += take
            p.size = max(p.size, offset + len(data))
            return len(data)

    def truncate(self, path, length, fh=None):
        with self.guard:
            if not self.buffered(path):
                os.truncate(self.full(path), length)
                return
            p = self.state(path)
            n, within = divmod(length, PAGE)
            for k in [k for k in p.pages if k > n or (k == n and not within)]:
                del p.pages[k]
            if within:
                page = self.page(path, p, n)
                page[within:] = bytes(PAGE - within)
                p.pages[n] = page
            p.valid = min(p.valid, length)
            p.size = length

    def fsync(self, path, datasync, fh):
        with self.guard:
            self.sync(path)
        return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return 0


def control(fs: LossyFS, sock_path: str) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(1)
    while True:
        conn, _ = server.accept()
        with conn:
            if conn.recv(64).strip() == b"cut":
                fs.cut()
                conn.sendall(b"ok\n")


def main() -> int:
    backing, mountpoint, sock_path = sys.argv[1:4]
    fs = LossyFS(os.path.abspath(backing))
    threading.Thread(target=control, args=(fs, sock_path), daemon=True).start()
    FUSE(fs, mountpoint, foreground=True, nothreads=False, allow_other=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
