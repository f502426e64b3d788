"""Load test helpers on the server side: a throwaway database, the seed, and gunicorn itself.

Everything binds to 127.0.0.1 and lives in a temporary directory (and, for PostgreSQL, a
database `fs_load_<pid>`) that `Instance.cleanup` removes.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The project's virtualenv, or (a git worktree has none of its own) the running interpreter's.
VENV_BIN = REPO / ".venv" / "bin" if (REPO / ".venv").exists() else Path(sys.executable).parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
COUNTY = "510104"
DIVISIONS = [("510000", "四川省"), ("510100", "成都市"), ("510104", "锦江区")]
PASSWORD = "Load#Test2026"


@dataclass
class Seed:
    """What the phones need: their bearer tokens and the units they may inspect."""

    tokens: list[str]
    units: list[tuple[int, str]]  # (unit id, kind)


@dataclass
class Instance:
    """A database and an instance directory of our own, and how to serve them."""

    db: str  # "postgresql" or "sqlite"
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fs_load_")))
    database_url: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _pg_name: str | None = None

    def __post_init__(self) -> None:
        if self.db == "postgresql":
            self._pg_name = f"fs_load_{os.getpid()}"
            self.database_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self._pg_name
        else:
            self.database_url = f"sqlite:///{self.root / 'foodsafety.sqlite3'}"

    @property
    def photo_dir(self) -> Path:
        return self.root / "photos"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FOODSAFETY_", "DATABASE_"))}
        env.update(FOODSAFETY_ENV="production", SECRET_KEY=self.secret_key,
                   DATABASE_URL=self.database_url, FOODSAFETY_INSTANCE_DIR=str(self.root),
                   PYTHONUNBUFFERED="1")
        return env

    def create(self) -> None:
        """Create the empty database and migrate it with `flask db upgrade`."""
        if self._pg_name:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{self._pg_name}"'))
            admin.dispose()
        subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=REPO,
                       env=self.env(), check=True, capture_output=True, timeout=120)

    def cleanup(self, keep: bool = False) -> None:
        """Drop the database and remove the directory (unless `keep`, to look at the logs)."""
        if self._pg_name:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)'))
            admin.dispose()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def app(self):
        """The application on this instance, in this process (for seeding)."""
        sys.path.insert(0, str(REPO))
        from config import Config
        from foodsafety import create_app

        return create_app(Config, SQLALCHEMY_DATABASE_URI=self.database_url, INSTANCE_DIR=self.root,
                          PHOTO_DIR=self.photo_dir, SECRET_KEY=self.secret_key)


def _licence(kind: str, seq: int) -> str:
    from foodsafety.registry.identifiers import iso7064_mod11_10

    body = f"{'3' if kind == 'canteen' else '2'}{COUNTY}{seq:06d}"
    return f"JY{body}{iso7064_mod11_10(body)}"


def seed(instance: Instance, phones: int, canteens: int = 60, suppliers: int = 20,
         peripheries: int = 20) -> Seed:
    """A county with schools and units, one inspector per phone, each with an open session.

    The password hash is computed once and shared: 200 scrypt logins would only time scrypt.
    """
    from foodsafety.accounts.auth import hash_password, open_session
    from foodsafety.accounts.models import Role, User
    from foodsafety.extensions import db
    from foodsafety.registry.divisions import load_divisions
    from foodsafety.registry.models import OperationMode, School, SchoolStage, Unit, UnitKind

    app = instance.app()
    with app.app_context():
        load_divisions(DIVISIONS)
        units: list[Unit] = []
        seq = 0
        for kind, count in (("canteen", canteens), ("supplier", suppliers),
                            ("periphery", peripheries)):
            for _ in range(count):
                seq += 1
                school = None
                if kind == "canteen":
                    school = School(name=f"压测学校{seq}", stage=SchoolStage.PRIMARY,
                                    jurisdiction_code=COUNTY)
                    db.session.add(school)
                    db.session.flush()
                units.append(Unit(
                    kind=UnitKind(kind), name=f"压测单位{seq}", jurisdiction_code=COUNTY,
                    school_id=school.id if school else None,
                    operation_mode=OperationMode.SELF_RUN if kind == "canteen" else None,
                    licence_no=_licence(kind, seq), licence_issued_on=date(2024, 1, 1),
                    licence_expires_on=date(2029, 12, 31)))
        db.session.add_all(units)
        password_hash = hash_password(PASSWORD)
        users = [User(username=f"load{i:04d}", display_name=f"压测检查员{i}",
                      password_hash=password_hash, role=Role.INSPECTOR, jurisdiction_code=COUNTY)
                 for i in range(phones)]
        db.session.add_all(users)
        db.session.flush()
        tokens = [open_session(user)[0] for user in users]
        result = Seed(tokens=tokens, units=[(u.id, u.kind.value) for u in units])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own process group, so `kill -9` reaches the master and every worker."""

    def __init__(self, instance: Instance, workers: int = 4, threads: int = 4,
                 config: Path | None = None) -> None:
        self.instance = instance
        self.workers, self.threads = workers, threads
        self.config = config
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = instance.root / "gunicorn.log"
        self.starts = 0

    def start(self, timeout: float = 60.0) -> float:
        """Start gunicorn and wait until /healthz answers; returns the seconds it took."""
        began = time.monotonic()
        log = open(self.log_path, "ab")  # noqa: SIM115  (handed to the child, closed below)
        try:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-w", str(self.workers), "--threads", str(self.threads),
                 "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "10",
                 *(["-c", str(self.config)] if self.config else []), "wsgi:app"],
                cwd=REPO, env=self.instance.env(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            log.close()
        self.starts += 1
        while time.monotonic() - began < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            if self._healthy():
                return time.monotonic() - began
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s")

    def _healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def kill9(self) -> None:
        """SIGKILL to the whole process group: no worker gets to finish or clean up."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL whatever is left after 15 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
