"""Shared benchmark machinery: a database with data, gunicorn, and wrk as the load.

The server runs the real WSGI app under gunicorn (2 sync workers by default, as in the
budgets), against SQLite or PostgreSQL. Load comes from ``wrk`` (C, cheap on the CPU we
share with the server); signed-in clients send real session cookies and CSRF tokens.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/capacity_bench"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(kind: str, folder: Path) -> str | None:
    """A migrated empty database URL for ``kind`` ('sqlite' or 'postgresql'), or None."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    try:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    except Exception as error:  # no PostgreSQL here: the caller reports and skips
        print(f"  (PostgreSQL unavailable: {error.__class__.__name__})")
        return None
    return url.render_as_string(hide_password=False)


def environment(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNING_")}
    env.update(
        LEARNING_ENV="production",
        LEARNING_SECRET_KEY="bench-secret-key-bench-secret-key-0123456789",
        LEARNING_DATABASE_URL=database_url,
        LEARNING_INSTANCE_DIR=str(instance),
        LEARNING_SECURE_COOKIES="false",
        LEARNING_RATELIMIT_ENABLED="false",
        LEARNING_BASE_URL="http://127.0.0.1",
    )
    return env


def build_app(env: dict[str, str]):
    """The app in this process, configured like the server, with migrations applied."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from learning import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app


def session_cookie(app, user) -> tuple[str, str]:
    """A signed session cookie for ``user`` and the CSRF token that goes with it."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    # A fresh app context: Flask-WTF caches the token in ``g``, which would leak between users.
    with app.app_context(), app.test_request_context("/"):
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return f"{app.config['SESSION_COOKIE_NAME']}={cookie}", token


@contextmanager
def gunicorn(env: dict[str, str], target: str = "wsgi:app", workers: int = WORKERS):
    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
            target,
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz" if target == "wsgi:app" else url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int

    def line(self) -> str:
        return (
            f"  {self.name:<44} {self.rps:>9.0f} req/s   p50 {self.p50_ms:>6.1f} ms   "
            f"p99 {self.p99_ms:>6.1f} ms   non-2xx/errors {self.errors}"
        )


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    name: str,
    url: str,
    script: str | None = None,
    *,
    connections: int = CONNECTIONS,
    seconds: int = SECONDS,
) -> Result:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the benchmarks: apt-get install wrk")
    args = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds}s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script or "")
    if script:
        args += ["-s", handle.name]
    finished = subprocess.run([*args, url], capture_output=True, text=True, check=True)
    output = finished.stdout
    if finished.stderr.strip():
        print("    first failed responses:", finished.stderr.strip().replace("\n", " | ")[:600])
    Path(handle.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))
    p50 = _ms(*re.match(r"([\d.]+)(\w+)", latency["50"]).groups())
    p99 = _ms(*re.match(r"([\d.]+)(\w+)", latency["99"]).groups())
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return Result(name, rps, p50, p99, errors, requests)


def lua_rotating(requests: list[dict]) -> str:
    """A wrk script that cycles through prepared requests (method, path, headers, body)."""
    return (
        "local reqs = " + _lua(requests) + "\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  local r = reqs[(i % #reqs) + 1]\n"
        "  return wrk.format(r.method, r.path, r.headers, r.body)\n"
        "end\n"
        "local shown = 0\n"
        "response = function(status, headers, body)\n"
        "  if status >= 300 and shown < 3 then\n"
        "    shown = shown + 1\n"
        "    io.stderr:write(status .. ' ' .. string.sub(body or '', 1, 200) .. '\\n')\n"
        "  end\n"
        "end\n"
    )


def _lua(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if value is None:
        return "nil"
    return json.dumps(value)
