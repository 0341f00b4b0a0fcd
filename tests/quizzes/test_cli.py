from learning.quizzes import services
from tests.factories import create_course


def test_import_gift_from_the_command_line(app, db, tmp_path):
    course = create_course()
    db.session.commit()
    good = tmp_path / "good.gift"
    good.write_text(
        "$CATEGORY: Week 1\n\n::Q1::Seoul is in Korea. {T}\n\n::Q2::2+2? {#4}\n", encoding="utf-8"
    )
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "quizzes",
            "import-gift",
            str(good),
            "--course",
            course.slug,
            "--category",
            "Imported",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 2 question(s) into Imported/Week 1" in result.output
    assert [q.current.title for q in services.bank(course)] == ["Q1", "Q2"]
    exported = runner.invoke(args=["quizzes", "export-gift", "--course", course.slug])
    assert "::Q1::" in exported.output and "$CATEGORY: Imported/Week 1" in exported.output


def test_import_gift_errors_import_nothing(app, db, tmp_path):
    course = create_course()
    db.session.commit()
    bad = tmp_path / "bad.gift"
    bad.write_text("::Q1::Fine {T}\n\n::Q2::Broken {=a ~b\n", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["quizzes", "import-gift", str(bad), "--course", course.slug])
    assert result.exit_code != 0
    assert f"{bad}:3:" in result.output and "nothing was imported" in result.output
    assert services.bank(course) == []
    unknown = runner.invoke(args=["quizzes", "import-gift", str(bad), "--course", "no-such-course"])
    assert unknown.exit_code != 0 and "no course" in unknown.output
