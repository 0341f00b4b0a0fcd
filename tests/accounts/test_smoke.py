from learning.accounts.models import User
from tests.factories import create_user


def test_pages_render(client):
    for path in ("/", "/login", "/signup", "/password/forgot"):
        assert client.get(path).status_code == 200


def test_rollback_between_tests_part1(db):
    create_user(email="only-once@example.org")
    db.session.commit()
    assert db.session.query(User).filter_by(email="only-once@example.org").count() == 1


def test_rollback_between_tests_part2(db):
    assert db.session.query(User).filter_by(email="only-once@example.org").count() == 0
