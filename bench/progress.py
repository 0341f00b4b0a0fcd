"""Progress reports per second through the real app under gunicorn (SQLite and PostgreSQL).

Budget (issue 3): >= 1,000 reports/s on PostgreSQL with p99 under 50 ms, 2 workers.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench import common
from bench.data import seed


def run(kind: str) -> list[common.Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = common.fresh_database(kind, Path(folder))
        if url is None:
            return []
        env = common.environment(url, Path(folder))
        app = common.build_app(env)
        _slug, video_ids, users = seed(app, learners=200)
        requests = []
        with app.app_context():
            sessions = [common.session_cookie(app, user) for user in users]
        # Learners take turns, as real ones do: one report per learner every few seconds.
        for step in range(20):
            for index, (cookie, token) in enumerate(sessions):
                start = (step * 30 + index) % 570
                item_id = video_ids[index % len(video_ids)]  # each learner watches one lecture
                body = {"intervals": [[start, start + 30]], "position": start + 30, "duration": 600}
                requests.append(
                    {
                        "method": "POST",
                        "path": f"/api/v1/items/{item_id}/progress",
                        "headers": {
                            "Cookie": cookie,
                            "X-CSRFToken": token,
                            "Content-Type": "application/json",
                        },
                        "body": json.dumps(body),
                    }
                )
        with common.gunicorn(env) as base:
            result = common.wrk(f"progress reports ({kind})", base, common.lua_rotating(requests))
        return [result]


if __name__ == "__main__":
    for kind in ("sqlite", "postgresql"):
        for result in run(kind):
            print(result.line())
