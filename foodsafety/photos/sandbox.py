"""Process photos in child processes whose CPU time, memory and wall-clock time are bounded.

Pillow's decoders release the GIL, so a hostile file that decodes for minutes never trips a
worker timeout, and the gigabytes a decode takes stay in the web worker afterwards. Here every
photo is processed by a fresh child (forked from a forkserver that has Pillow loaded) under
RLIMIT_AS (memory) and RLIMIT_CPU, with a wall-clock deadline; the child handles one photo and
exits, so its memory goes back to the system whatever happened. One spare child is started
ahead of need, so an upload does not wait for a fork. At most `slots` photos are processed at
once per web worker process; further uploads wait for a slot, and answer 503 (the phone's
outbox retries) if none frees up in time.
"""

from __future__ import annotations

import io
import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection

from PIL import ExifTags, Image

from foodsafety.photos.processing import TOO_MUCH_MEMORY, PhotoRejected, ProcessedPhoto, process

log = logging.getLogger(__name__)

TOO_SLOW = "照片处理超时（文件过于复杂），请重新拍摄或压缩后重新上传。"
FAILED = "照片处理超出了时间或内存限制，请重新拍摄或压缩后重新上传。"
BUSY = "照片处理繁忙，请稍后重试。"
SPARES = 1


_last = threading.local()


def last_costs() -> dict | None:
    """What the child that processed this thread's last photo cost over its life (fork to exit):
    CPU seconds, peak RSS and its growth over the RSS it had when the photo arrived, in MB."""
    return getattr(_last, "costs", None)


class DecodeBusy(Exception):
    """No processing slot freed up in time."""


@dataclass(frozen=True)
class Limits:
    """What one photo may cost: CPU seconds, memory (bytes of address space on top of what the
    child has before it starts) and wall-clock seconds."""

    cpu_seconds: int
    memory_bytes: int
    wall_seconds: float


class _Child:
    """One started child process and our end of its pipe."""

    def __init__(self, context) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve_one, args=(child_end,), daemon=True,
                                       name="photo-decode")
        self.process.start()
        child_end.close()

    def finish(self) -> None:
        """Make sure the child is gone and reaped."""
        self.conn.close()
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()


class Sandbox:
    """The children of one web worker process, and its processing slots."""

    def __init__(self, slots: int) -> None:
        self.pid = os.getpid()
        self._slots = threading.BoundedSemaphore(max(1, slots))
        self._lock = threading.Lock()
        self._spares: list[_Child] = []
        self._context = multiprocessing.get_context("forkserver")
        # "__main__" too: the forkserver imports the main script (gunicorn's, flask's) once, so
        # that each child does not import it again before it may start.
        self._context.set_forkserver_preload(["__main__", __name__])

    def process(self, data: bytes, options: dict, limits: Limits,
                queue_seconds: float) -> ProcessedPhoto:
        """`processing.process(data, **options)` in a child; PhotoRejected when refused, when
        the child runs out of CPU time, memory or wall-clock time, or dies."""
        if not self._slots.acquire(timeout=queue_seconds):
            raise DecodeBusy()
        try:
            child = self._take()
            try:
                outcome = self._run(child, data, options, limits)
            finally:
                child.finish()
                self._refill()
        finally:
            self._slots.release()
        if isinstance(outcome, ProcessedPhoto):
            return outcome
        raise outcome  # PhotoRejected, or the RuntimeError of a bug

    def _take(self) -> _Child:
        with self._lock:
            while self._spares:
                child = self._spares.pop()
                if child.process.is_alive():
                    return child
                child.finish()
        return _Child(self._context)

    def _refill(self) -> None:
        with self._lock:
            if len(self._spares) < SPARES:
                self._spares.append(_Child(self._context))

    @staticmethod
    def _run(child: _Child, data: bytes, options: dict, limits: Limits) -> object:
        _last.costs = None
        try:
            child.conn.send((data, options, limits))
            if child.conn.poll(limits.wall_seconds):
                outcome, costs = child.conn.recv()
                _last.costs = costs
                return outcome
        except (EOFError, OSError):
            pass  # the child died: its exit code says why
        else:
            log.warning("photo processing exceeded %.0f s wall-clock time: child killed",
                        limits.wall_seconds)
            child.process.kill()
            return PhotoRejected(422, TOO_SLOW)
        child.process.join(timeout=5)
        code = child.process.exitcode
        log.warning("photo processing child died (exit code %s)", code)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return PhotoRejected(422, TOO_SLOW)
        return PhotoRejected(422, FAILED)


def _status_bytes(field: str) -> int:
    """A size of this process from /proc/self/status (VmSize: address space, VmRSS: resident)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _limit_self(limits: Limits) -> None:
    """Cap this child: no core files, CPU time from now, address space from its current size."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(usage.ru_utime + usage.ru_stime + limits.cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))  # SIGXCPU, then SIGKILL
    memory = _status_bytes("VmSize") + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _serve_one(conn: Connection) -> None:
    """The child: wait for one photo, process it under the limits, send back the outcome."""
    try:
        data, options, limits = conn.recv()
    except EOFError:
        return  # a spare whose web worker went away
    _limit_self(limits)
    start_rss = _status_bytes("VmRSS")
    try:
        outcome: object = process(data, **options)
    except PhotoRejected as rejected:
        outcome = rejected
    except MemoryError:
        outcome = PhotoRejected(422, TOO_MUCH_MEMORY)
    except Exception as exc:  # a bug, not the photo: the web worker answers 500 and logs it
        outcome = RuntimeError(f"photo processing failed in the child: {exc!r}")
    del data
    usage = resource.getrusage(resource.RUSAGE_SELF)
    costs = {"cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
             "peak_growth_mb": usage.ru_maxrss / 1024 - start_rss / 2**20}
    try:
        conn.send((outcome, costs))
    except MemoryError:
        conn.send((PhotoRejected(422, TOO_MUCH_MEMORY), costs))
    conn.close()


def _warm_up() -> None:
    """Process three tiny pictures once, so that Pillow's lazily loaded plugins (EXIF, ICC, the
    encoders) are loaded in the forkserver and every child starts with them."""
    Image.init()
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:01:01 08:00:00"
    for mode, fmt, options in (("RGB", "JPEG", {"exif": exif}), ("RGBA", "PNG", {}), ("RGB", "WEBP", {})):
        buffer = io.BytesIO()
        Image.new(mode, (24, 16)).save(buffer, fmt, **options)
        process(buffer.getvalue())


_warm_up()
_sandbox: Sandbox | None = None
_sandbox_lock = threading.Lock()


def sandbox(slots: int) -> Sandbox:
    """This process's sandbox (a forked web worker makes its own)."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None or _sandbox.pid != os.getpid():
            _sandbox = Sandbox(slots)
        return _sandbox


def process_photo(data: bytes, *, options: dict, limits: Limits, slots: int,
                  queue_seconds: float) -> ProcessedPhoto:
    """Process an upload in a bounded child process (see the module docstring)."""
    return sandbox(slots).process(data, options, limits, queue_seconds)
