"""Process photos in child processes whose CPU time, memory and wall-clock time are bounded.

Pillow's decoders release the GIL, so a hostile file that decodes for minutes never trips a
worker timeout, and the gigabytes a decode takes stay in the web worker afterwards. Here every
photo is processed in a child process (forked from a forkserver that has Pillow loaded and
warmed up) under RLIMIT_CPU and RLIMIT_AS set for that one photo, with a wall-clock deadline:
beyond any of them the child is gone and the upload is refused.

Children are recycled: one that has processed a photo normally waits for the next (its heap is
warm: a fresh process pays ~25 ms of page faults on a 12 MP photo), but retires, giving its
memory back to the system, after a refusal, a failure, `MAX_PHOTOS_PER_CHILD` photos or once its
resident memory has grown `MAX_KEPT_MB` above what it had at its first photo. One child is kept
ready per slot, so an upload does not wait for a fork; at most `slots` photos are processed at
once per web worker process, and an upload that finds no slot free in time answers 503 (the
phone's outbox retries).
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
MAX_PHOTOS_PER_CHILD = 50
MAX_KEPT_MB = 64

_last = threading.local()


def last_costs() -> dict | None:
    """What this thread's last photo cost in its child, or None if the child was stopped:
    job_cpu_seconds, peak_growth_mb (its peak RSS over the RSS it had when the photo arrived),
    and the child's life so far (cpu_seconds, peak_rss_mb)."""
    return getattr(_last, "costs", None)


class DecodeBusy(Exception):
    """No processing slot freed up in time."""


@dataclass(frozen=True)
class Limits:
    """What one photo may cost: CPU seconds, memory (bytes of address space on top of what the
    child holds when the photo arrives) and wall-clock seconds."""

    cpu_seconds: int
    memory_bytes: int
    wall_seconds: float


class _Child:
    """One started child process and our end of its pipe."""

    def __init__(self, context) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end,), daemon=True,
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
        self.slots = max(1, slots)
        self._slots = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._ready: list[_Child] = []
        self._preparing = False
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
            outcome, keep = self._run(child, data, options, limits)
            self._give_back(child if keep else None)
            if not keep:
                child.finish()
        finally:
            self._slots.release()
        if isinstance(outcome, ProcessedPhoto):
            return outcome
        raise outcome  # PhotoRejected, or the RuntimeError of a bug

    def prepare(self) -> None:
        """Start a child now, so that the next photo does not wait for one."""
        self._give_back(None)

    def prepare_soon(self) -> None:
        """Start a child in the background if none is ready, without waiting for it: called when an
        upload begins, so that a child (the first one starts the forkserver: a second or more) gets
        ready while the photo's bytes are still arriving over a slow network."""
        with self._lock:
            if self._ready or self._preparing:
                return
            self._preparing = True

        def run() -> None:
            try:
                self.prepare()
            finally:
                self._preparing = False

        threading.Thread(target=run, name="photo-decode-prepare", daemon=True).start()

    def _take(self) -> _Child:
        with self._lock:
            while self._ready:
                child = self._ready.pop()
                if child.process.is_alive():
                    return child
                child.finish()
        return _Child(self._context)

    def _give_back(self, child: _Child | None) -> None:
        """Keep `child` for the next photo, or start a fresh one if none is ready."""
        with self._lock:
            if child is not None and len(self._ready) < self.slots:
                self._ready.append(child)
                return
            if child is not None:
                child.finish()
            if not self._ready:
                self._ready.append(_Child(self._context))

    @staticmethod
    def _run(child: _Child, data: bytes, options: dict, limits: Limits) -> tuple[object, bool]:
        """Send one photo, wait for the outcome: (outcome, whether the child may be reused)."""
        _last.costs = None
        try:
            child.conn.send((data, options, limits))
            if child.conn.poll(limits.wall_seconds):
                outcome, costs, reusable = child.conn.recv()
                _last.costs = costs
                return outcome, reusable
        except (EOFError, OSError):
            pass  # the child died: its exit code says why
        else:
            log.warning("photo processing exceeded %.0f s wall-clock time: child killed",
                        limits.wall_seconds)
            child.process.kill()
            return PhotoRejected(422, TOO_SLOW), False
        child.process.join(timeout=5)
        code = child.process.exitcode
        log.warning("photo processing child died (exit code %s)", code)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return PhotoRejected(422, TOO_SLOW), False
        return PhotoRejected(422, FAILED), False


# --- the child ------------------------------------------------------------------------------

def _status_bytes(field: str) -> int:
    """A size of this process from /proc/self/status (VmSize, VmRSS, VmHWM), in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit_self(limits: Limits) -> None:
    """Cap this child for one photo: CPU time from now, address space from its current size.
    Soft limits only: the next photo gets its own (SIGXCPU ends the process: Python leaves it
    at its default action)."""
    cpu = math.ceil(_cpu_seconds() + limits.cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.getrlimit(resource.RLIMIT_CPU)[1]))
    memory = _status_bytes("VmSize") + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux clear_refs), so each photo's peak is its own."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def _process_one(data: bytes, options: dict) -> object:
    try:
        return process(data, **options)
    except PhotoRejected as rejected:
        return rejected
    except MemoryError:
        return PhotoRejected(422, TOO_MUCH_MEMORY)
    except Exception as exc:  # a bug, not the photo: the web worker answers 500 and logs it
        return RuntimeError(f"photo processing failed in the child: {exc!r}")


def _serve(conn: Connection) -> None:
    """The child: process photos one at a time under per-photo limits, while it may."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    first_rss = None
    for done in range(1, MAX_PHOTOS_PER_CHILD + 1):
        try:
            data, options, limits = conn.recv()
        except EOFError:
            return  # the web worker went away
        _limit_self(limits)
        _reset_peak()
        start_rss, start_cpu = _status_bytes("VmRSS"), _cpu_seconds()
        first_rss = first_rss or start_rss
        outcome = _process_one(data, options)
        del data
        rss = _status_bytes("VmRSS")
        costs = {"job_cpu_seconds": _cpu_seconds() - start_cpu,
                 "peak_growth_mb": (_status_bytes("VmHWM") - start_rss) / 2**20,
                 "cpu_seconds": _cpu_seconds(),
                 "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        reusable = (isinstance(outcome, ProcessedPhoto) and done < MAX_PHOTOS_PER_CHILD
                    and rss - first_rss <= MAX_KEPT_MB * 2**20)
        try:
            conn.send((outcome, costs, reusable))
        except MemoryError:
            conn.send((PhotoRejected(422, TOO_MUCH_MEMORY), costs, False))
            return
        if not reusable:
            return


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


def prepare_soon(slots: int) -> None:
    """Have a child get ready in the background (see `Sandbox.prepare_soon`)."""
    sandbox(slots).prepare_soon()


def process_photo(data: bytes, *, options: dict, limits: Limits, slots: int,
                  queue_seconds: float) -> ProcessedPhoto:
    """Process an upload in a bounded child process (see the module docstring)."""
    return sandbox(slots).process(data, options, limits, queue_seconds)
