"""The FTP client's view of the TFTP root: jailed, with atomic uploads.

Every path is resolved (symlinks included) and must stay inside the root.
Uploads are written to a hidden ``.<name>.partial-<random>`` file in the
same folder and renamed over the final name only once the transfer has
completed, so the TFTP server (and anything else reading the folder)
sees the old file or the new one, never a partial one. Partial files are
invisible to FTP clients and their names cannot be used.

Files are created 0644 and folders 0755 whatever the process umask is,
like vsftpd with ``local_umask=022``.
"""

# pyftpdlib hands us str paths and expects os-style calls on them throughout.
# ruff: noqa: PTH101, PTH102, PTH104, PTH105, PTH106, PTH107, PTH108, PTH112, PTH113, PTH116, PTH118, PTH206, PTH208

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from typing import Any

from pyftpdlib.filesystems import AbstractedFS

PARTIAL_MARK = ".partial-"
FILE_MODE = 0o644
DIR_MODE = 0o755


def is_partial_name(name: str) -> bool:
    """Return whether a file name is one of our in-progress uploads."""
    return name.startswith(".") and PARTIAL_MARK in name


def _has_partial_part(path: str) -> bool:
    return any(is_partial_name(part) for part in path.split(os.sep))


def _missing(path: str) -> FileNotFoundError:
    return FileNotFoundError(2, "No such file or directory", path)


class PartialUpload:
    """A file being uploaded: hidden until ``commit`` renames it into place."""

    def __init__(self, final_path: str, *, fsync: bool) -> None:
        folder, base = os.path.split(final_path)
        self.name = final_path
        self.temp_path = os.path.join(
            folder, f".{base}{PARTIAL_MARK}{secrets.token_hex(6)}"
        )
        self._fsync = fsync
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(self.temp_path, flags, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # whatever the process umask is
        # Unbuffered: a full disk fails the write that hit it, never a later
        # close(); pyftpdlib writes 64 KiB chunks anyway.
        self._file = os.fdopen(fd, "wb", buffering=0)
        self.bytes_written = 0
        self.committed = False
        self.discarded = False

    @property
    def closed(self) -> bool:
        """Whether the temporary file is closed (pyftpdlib checks this)."""
        return self._file.closed

    def write(self, data: bytes) -> int:
        """Append received bytes to the temporary file."""
        view = memoryview(data)
        while view:
            written = self._file.write(view) or 0
            self.bytes_written += written
            view = view[written:]
        return len(data)

    def fileno(self) -> int:
        """Return the temporary file's descriptor."""
        return self._file.fileno()

    def close(self) -> None:
        """Close the temporary file without publishing it."""
        self._file.close()

    def commit(self) -> int:
        """Publish the upload under its final name; return its size."""
        try:
            if self._fsync:
                os.fsync(self._file.fileno())
        finally:
            self._file.close()
        os.replace(self.temp_path, self.name)
        self.committed = True
        return self.bytes_written

    def discard(self) -> bool:
        """Throw the partial data away; return whether there was any to drop."""
        self._file.close()
        if self.committed or self.discarded:
            return False
        self.discarded = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp_path)
        return True


class JailedFS(AbstractedFS):  # type: ignore[misc]
    """pyftpdlib filesystem confined to the root, hiding partial uploads."""

    fsync_uploads = False
    # With delete off, a rename may not land on an existing name either.
    allow_replace = False
    # LIST would show "name -> target" for a link: where a planted link
    # points (maybe outside the root) is nobody's business.
    readlink = None

    def validpath(self, path: str) -> bool:
        """Allow only paths whose real location is inside the root."""
        if "\x00" in path:
            return False
        root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def _guard(self, path: str) -> None:
        if _has_partial_part(path) or not self.validpath(path):
            raise _missing(path)

    def open(self, filename: str, mode: str) -> Any:
        """Open for reading, or start a hidden partial file for an upload."""
        self._guard(filename)
        if mode == "rb":
            # The resolved path was just checked; O_NOFOLLOW stops a link
            # swapped in since then from leading out.
            # O_NONBLOCK: opening a FIFO must not hang the FTP thread.
            real = os.path.realpath(filename)
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            fd = os.open(real, flags)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise PermissionError(1, "Not a regular file", filename)
            return os.fdopen(fd, "rb")
        if mode == "wb":
            return PartialUpload(filename, fsync=self.fsync_uploads)
        raise PermissionError(1, "Resuming or appending uploads is not supported")

    def mkstemp(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse STOU: it would write straight to a visible name."""
        raise PermissionError(1, "STOU is not supported; use STOR with a name")

    def mkdir(self, path: str) -> None:
        """Create a folder with mode 0755."""
        if _has_partial_part(path):
            raise PermissionError(1, "That name is reserved for uploads", path)
        os.mkdir(path, DIR_MODE)
        os.chmod(path, DIR_MODE)

    def listdir(self, path: str) -> list[str]:
        """List a folder without the partial uploads in it."""
        self._guard(path)
        return [name for name in os.listdir(path) if not is_partial_name(name)]

    listdirinfo = listdir

    def rmdir(self, path: str) -> None:
        """Remove an empty folder."""
        self._guard(path)
        os.rmdir(path)

    def remove(self, path: str) -> None:
        """Delete a file."""
        self._guard(path)
        os.remove(path)

    def rename(self, src: str, dst: str) -> None:
        """Rename within the root; partial uploads cannot be touched.

        With delete off, RNTO onto an existing name is refused: a typo
        renamed over a firmware image would destroy it. Files are moved by
        hard link + unlink, which cannot replace a name that appears in
        between; folders (and file systems without hard links) fall back to
        a checked rename.
        """
        self._guard(src)
        if _has_partial_part(dst):
            raise PermissionError(1, "That name is reserved for uploads", dst)
        if self.allow_replace:
            os.rename(src, dst)
            return
        if os.path.lexists(dst):
            raise FileExistsError(17, "File exists (deleting is off)", dst)
        if not stat.S_ISDIR(os.lstat(src).st_mode):
            try:
                os.link(src, dst, follow_symlinks=False)
            except FileExistsError as err:
                raise FileExistsError(17, "File exists (deleting is off)", dst) from err
            except OSError:
                pass  # no hard links here: fall back to the checked rename
            else:
                os.unlink(src)
                return
        os.rename(src, dst)

    def chdir(self, path: str) -> None:
        """Change the working folder (the process cwd is never changed)."""
        self._guard(path)
        if not os.path.isdir(path):
            raise NotADirectoryError(20, "Not a directory", path)
        self.cwd = self.fs2ftp(path)

    def stat(self, path: str) -> os.stat_result:
        """Stat a visible path."""
        self._guard(path)
        return os.stat(path)

    def lstat(self, path: str) -> os.stat_result:
        """Lstat a visible path."""
        if _has_partial_part(path):
            raise _missing(path)
        return os.lstat(path)

    def isfile(self, path: str) -> bool:
        """Whether a visible regular file is there."""
        return not _has_partial_part(path) and os.path.isfile(path)

    def isdir(self, path: str) -> bool:
        """Whether a visible folder is there."""
        return not _has_partial_part(path) and os.path.isdir(path)

    def lexists(self, path: str) -> bool:
        """Whether a visible name is there (used by RNFR)."""
        return not _has_partial_part(path) and os.path.lexists(path)

    def getsize(self, path: str) -> int:
        """Size of a visible file."""
        return self.stat(path).st_size

    def getmtime(self, path: str) -> float:
        """Modification time of a visible file."""
        return self.stat(path).st_mtime
