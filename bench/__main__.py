"""``make bench``: every benchmark, with the budgets beside the figures."""

from __future__ import annotations

import os

from bench import certificates, common, live, pages, plans, progress, quiz


def main() -> None:
    print(
        f"CapaCity benchmarks: gunicorn {common.WORKERS} sync workers, wrk {common.CONNECTIONS} "
        f"connections, {common.SECONDS} s each, {os.cpu_count()} CPUs\n"
    )
    ceiling = pages.ceiling()
    print(ceiling.line())
    for kind in ("sqlite", "postgresql"):
        for result in pages.run(kind):
            share = 100 * result.rps / ceiling.rps
            print(
                result.line()
                + f"   {share:.0f}% of ceiling (budget for the course page: >= 25%, p99 < 50 ms)"
            )
        for result in progress.run(kind):
            print(result.line() + "   (budget on PostgreSQL: >= 1000 req/s, p99 < 50 ms)")
        for result in quiz.run(kind):
            print(result.line())
        for result in live.run(kind):
            print(result.line())
        for result in certificates.run(kind):
            print(result.line() + "   (budget: >= 500 verifications/s)")
        for result in plans.run(kind):
            print(result.line() + "   (budget: constant SQL statements whatever the plans)")
    quiz.grading_throughput()


if __name__ == "__main__":
    main()
