"""Course page and learner dashboard, requests/s and p50/p99, beside a minimal Flask page.

Budget (issue 3): the course page of a signed-in learner at >= 25% of the minimal page's
throughput, with p99 under 50 ms at 32 concurrent clients, 2 gunicorn workers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import common
from bench.data import seed


def ceiling() -> common.Result:
    env = common.environment("sqlite://", Path(tempfile.gettempdir()))
    with common.gunicorn(env, target="bench.minimal:app") as base:
        return common.wrk("minimal Flask page (ceiling)", base + "/")


def run(kind: str) -> list[common.Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = common.fresh_database(kind, Path(folder))
        if url is None:
            return []
        env = common.environment(url, Path(folder))
        app = common.build_app(env)
        slug, _video_ids, users = seed(app, learners=200)
        with app.app_context():
            cookies = [common.session_cookie(app, user)[0] for user in users[:50]]
        results = []
        with common.gunicorn(env) as base:
            for name, path in (
                ("course page", f"/courses/{slug}"),
                ("learner dashboard", "/dashboard"),
            ):
                requests = [
                    {"method": "GET", "path": path, "headers": {"Cookie": c}} for c in cookies
                ]
                results.append(common.wrk(f"{name} ({kind})", base, common.lua_rotating(requests)))
        return results


if __name__ == "__main__":
    print(ceiling().line())
    for kind in ("sqlite", "postgresql"):
        for result in run(kind):
            print(result.line())
