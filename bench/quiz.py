"""Quizzes: grading throughput for a 50-question attempt, and the attempt page under load.

Grading is measured in-process (pure grading, then a full submit with its database writes);
the attempt page through gunicorn with wrk, like the other pages.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from bench import common

QUESTIONS = """\
::Single {n}::Capital of Kenya? {{=Nairobi ~Mombasa ~Kisumu}}

::Multiple {n}::Cities? {{~%50%Seoul ~%50%Abuja ~%-100%Africa}}

::True {n}::The sky is green. {{F}}

::Short {n}::Name the SDG number for cities. {{=11 =eleven}}

::Number {n}::Pi to two decimals? {{#3.14:0.005}}

::Match {n}::Match. {{=Seoul -> Korea =Abuja -> Nigeria =Cuenca -> Ecuador}}

::Missing {n}::Smart cities need {{=data ~luck ~nothing}} to plan well.

::Range {n}::A number between 1 and 2? {{#1..2}}

::Single B {n}::Which is a platform? {{=Open data portal ~A road ~A river}}

::True B {n}::Cities can share platforms. {{T}}
"""


def _gift(count: int) -> str:
    return "\n".join(QUESTIONS.format(n=n) for n in range(count // 10))


def grading_throughput() -> None:
    from learning.quizzes import gift
    from learning.quizzes.grading import get_type

    questions = gift.parse_gift(_gift(50))
    rng = random.Random(1)
    responses = []
    for question in questions:
        qtype = get_type(question.type)
        right = qtype.correct_response(question)
        responses.append(right if rng.random() < 0.7 else qtype.normalise_response(question, None))
    rounds = 400
    start = time.perf_counter()
    for _ in range(rounds):
        for question, response in zip(questions, responses, strict=True):
            get_type(question.type).grade(question, response)
    elapsed = time.perf_counter() - start
    print(
        f"  grading a 50-question attempt (pure)           {rounds / elapsed:>9.0f} attempts/s   "
        f"{elapsed / rounds * 1000:.2f} ms each"
    )


def run(kind: str) -> list[common.Result]:
    from datetime import timedelta

    with tempfile.TemporaryDirectory() as folder:
        url = common.fresh_database(kind, Path(folder))
        if url is None:
            return []
        env = common.environment(url, Path(folder))
        app = common.build_app(env)
        from learning.accounts import services as accounts
        from learning.core.db import utcnow
        from learning.courses import services as courses
        from learning.courses.models import Course, Item, Module
        from learning.extensions import db
        from learning.quizzes import services as quizzes
        from learning.quizzes.grading import get_type

        accounts.configure_password_hashing(fast=True)
        now = utcnow()
        with app.app_context():
            course = Course(
                slug="bench-quiz",
                title="Quiz bench",
                is_published=True,
                created_at=now,
                updated_at=now,
            )
            db.session.add(course)
            db.session.flush()
            module = Module(course_id=course.id, key="m", position=0, title="Module")
            db.session.add(module)
            db.session.flush()
            item = Item(
                course_id=course.id,
                module_id=module.id,
                key="q",
                position=0,
                kind="quiz",
                title="Quiz",
            )
            db.session.add(item)
            db.session.flush()
            quizzes.import_gift(None, course, _gift(50), now=now)
            quiz = quizzes.ensure_quiz(item, now=now)
            quiz.shuffle_answers = True
            quizzes.set_slots(quiz, [("question", q.id, 1) for q in quizzes.bank(course)])
            run = courses.create_run(
                None,
                course,
                slug="r",
                title="Run",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                now=now,
            )
            users, attempts = [], []
            for n in range(60):
                user = accounts.create_user(
                    email=f"quiz{n}@example.org",
                    password="bench-password-1",
                    display_name=f"Learner {n}",
                    now=now,
                )
                enrolment = courses.enroll(user, run, now=now)
                attempt = quizzes.start_attempt(enrolment, quiz, now=now)
                for shown in quizzes.attempt_questions(attempt, reveal=False):
                    right = get_type(shown.data.type).correct_response(shown.data)
                    quizzes.save_answer(
                        attempt,
                        shown.slot,
                        list(right) if isinstance(right, tuple) else right,
                        now=now,
                    )
                users.append(user)
                attempts.append(attempt)
            db.session.commit()
            # A full submit: grade 50 answers and write the results, as the request does.
            start = time.perf_counter()
            for attempt in attempts[:20]:
                quizzes.submit_attempt(attempt, now=now)
                db.session.commit()
            elapsed = time.perf_counter() - start
            print(
                f"  submit + grade + store a 50-question attempt ({kind}) {20 / elapsed:>7.0f} attempts/s   "
                f"{elapsed / 20 * 1000:.1f} ms each"
            )
            open_attempts = attempts[20:]
            cookies = [common.session_cookie(app, a_user)[0] for a_user in users[20:]]
            paths = [f"/attempts/{a.id}" for a in open_attempts]
        requests = [
            {"method": "GET", "path": p, "headers": {"Cookie": c}}
            for p, c in zip(paths, cookies, strict=True)
        ]
        with common.gunicorn(env) as base:
            return [
                common.wrk(
                    f"attempt page, 50 questions ({kind})", base, common.lua_rotating(requests)
                )
            ]


if __name__ == "__main__":
    grading_throughput()
    for kind in ("sqlite", "postgresql"):
        for result in run(kind):
            print(result.line())
