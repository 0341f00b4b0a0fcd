"""Plans services: teams, versions, conflicts, the state machine, the queue, the contracts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from learning.core.errors import Conflict, Forbidden, NotFound, ValidationError
from learning.core.storage import LocalStorage
from learning.courses import services as courses
from learning.courses.deadlines import Deadline, deadlines_for
from learning.plans import services
from learning.plans.models import PlanState, PlanVersion
from learning.plans.services import SectionConflict
from tests.factories import create_city, create_user, enrol
from tests.plans.conftest import NOW

S = PlanState
ALL_STATES = list(S)


# --- teams ---------------------------------------------------------------------------------------


def test_learners_of_one_city_share_one_plan(world):
    plan = world.plan(world.alice)
    assert services.start_plan(world.bob, world.run, now=NOW).id == plan.id
    assert services.start_plan(world.chidi, world.run, now=NOW).id != plan.id
    assert plan.title == "Seoul test action plan" and plan.city_id == world.seoul.id
    assert [u.id for u in services.team_members(world.run, plan.team_key)] == [
        world.alice.id,
        world.bob.id,
    ]


def test_only_learners_of_the_run_start_a_plan(world):
    with pytest.raises(Forbidden):
        services.start_plan(world.outsider, world.run, now=NOW)
    with pytest.raises(Forbidden):
        services.start_plan(world.coordinator, world.run, now=NOW)


def test_a_run_without_plan_settings_asks_for_no_plan(world, db):
    from tests.factories import create_run

    other = create_run(world.course)
    enrol(world.alice, other)
    with pytest.raises(NotFound):
        services.start_plan(world.alice, other, now=NOW)


def test_learner_without_a_city_writes_alone(world):
    loner = create_user()
    enrol(loner, world.run)
    plan = services.start_plan(loner, world.run, now=NOW)
    assert plan.is_individual and plan.team_key == f"user:{loner.id}"
    assert "individual" in services.team_label(plan.team_key)


def test_coordinator_moves_a_learner_and_allows_an_individual_plan(world):
    seoul_plan = world.plan(world.alice)
    abuja_plan = world.plan(world.chidi)
    services.move_learner(
        world.coordinator, world.run, world.bob, f"city:{world.abuja.id}", now=NOW
    )
    assert services.is_member(world.bob, abuja_plan)
    assert not services.is_member(world.bob, seoul_plan)
    services.move_learner(world.coordinator, world.run, world.bob, f"user:{world.bob.id}", now=NOW)
    own = services.start_plan(world.bob, world.run, now=NOW)
    assert own.is_individual and own.id not in {seoul_plan.id, abuja_plan.id}
    services.move_learner(world.coordinator, world.run, world.bob, None, now=NOW)
    assert services.is_member(world.bob, seoul_plan)


def test_team_rules_refuse_bad_moves(world):
    with pytest.raises(Forbidden):
        services.move_learner(world.alice, world.run, world.bob, None, now=NOW)
    with pytest.raises(ValidationError):  # someone else's individual plan
        services.move_learner(
            world.coordinator, world.run, world.bob, f"user:{world.alice.id}", now=NOW
        )
    with pytest.raises(ValidationError):
        services.move_learner(world.coordinator, world.run, world.bob, "team:7", now=NOW)
    with pytest.raises(ValidationError):  # not a learner of this run
        services.move_learner(world.coordinator, world.run, world.outsider, None, now=NOW)
    with pytest.raises(ValidationError):
        services.move_learner(world.coordinator, world.run, world.bob, "city:999999", now=NOW)


def test_a_learner_who_left_the_run_is_no_longer_in_the_team(world):
    plan = world.plan()
    courses.leave(world.bob, world.run, now=NOW)
    assert not services.is_member(world.bob, plan)
    assert [u.id for u in services.team_members(world.run, plan.team_key)] == [world.alice.id]


# --- access ----------------------------------------------------------------------------------------


def test_who_sees_and_edits_a_plan(world, db):
    plan = world.plan()
    assert services.access(world.alice, plan).can_edit
    assert services.access(world.bob, plan).can_edit
    for stranger in (world.chidi, world.outsider, world.instructor, create_user()):
        assert not services.access(stranger, plan).can_view
        with pytest.raises(NotFound):
            services.viewable_plan(stranger, plan.id)
    rights = services.access(world.coordinator, plan)
    assert rights.can_view and rights.can_review and not rights.can_edit
    admin = create_user(roles=("admin",))
    assert services.access(admin, plan).can_review


def test_instructors_read_only_if_the_run_allows(world):
    plan = world.plan()
    services.configure_run(
        world.coordinator, world.run, is_required=True, due_at=None,
        instructors_can_view=True, now=NOW,
    )  # fmt: skip
    rights = services.access(world.instructor, plan)
    assert rights.can_view and not rights.can_edit and not rights.can_review


def test_an_assigned_reviewer_reviews(world):
    plan = world.plan()
    services.assign_reviewer(world.coordinator, plan, world.instructor, now=NOW)
    assert services.access(world.instructor, plan).can_review
    with pytest.raises(ValidationError):
        services.assign_reviewer(world.coordinator, plan, world.chidi, now=NOW)
    with pytest.raises(Forbidden):
        services.assign_reviewer(world.instructor, plan, world.instructor, now=NOW)


def test_only_coordinators_configure_a_run(world):
    with pytest.raises(Forbidden):
        services.configure_run(world.instructor, world.run, is_required=True, due_at=None, now=NOW)
    with pytest.raises(ValidationError):
        services.configure_run(
            world.coordinator, world.run, is_required=True, due_at=NOW.replace(tzinfo=None),
            now=NOW,
        )  # fmt: skip


# --- versions and conflicts ----------------------------------------------------------------------


def test_every_save_is_a_version(world):
    plan = world.plan()
    section = services.save_section(world.alice, plan, "problem", "Floods", base_version=0, now=NOW)
    assert section.version == 1 and section.text == "Floods"
    later = NOW + timedelta(minutes=1)
    section = services.save_section(
        world.bob, plan, "problem", "Floods\r\nand heat", base_version=1, now=later
    )
    assert section.version == 2 and section.text == "Floods\nand heat"
    versions = services.history(plan)
    assert [(v.section_key, v.number, v.base_number, v.author_id) for v in versions] == [
        ("problem", 2, 1, world.bob.id),
        ("problem", 1, 0, world.alice.id),
    ]
    assert versions[0].created_at == later


def test_a_save_is_one_update_and_one_insert(world, count_queries):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "One", base_version=0, now=NOW)
    services.is_member(world.alice, plan)  # warm the identity map like a request would
    with count_queries() as statements:
        services.save_section(
            world.alice, plan, "problem", "Two", base_version=1, now=NOW, check_access=False
        )
    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert len(writes) == 2, writes
    assert writes[0].lstrip().upper().startswith("UPDATE plan_sections".upper())
    assert "plan_versions" in writes[1]


def test_a_stale_save_raises_a_conflict_with_both_texts_and_applies_nothing(world):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "Alice's text", base_version=0, now=NOW)
    with pytest.raises(SectionConflict) as caught:
        services.save_section(world.bob, plan, "problem", "Bob's text", base_version=0, now=NOW)
    conflict = caught.value
    assert conflict.yours == "Bob's text" and conflict.current_text == "Alice's text"
    assert conflict.current_version == 1 and conflict.status_code == 409
    assert conflict.current_author.id == world.alice.id
    section = services.plan_sections(plan)[0]
    assert section.text == "Alice's text" and section.version == 1
    assert len(services.history(plan)) == 1
    # Bob decides (here: his own text) by saving on top of the version he has now seen.
    services.save_section(world.bob, plan, "problem", "Bob's text", base_version=1, now=NOW)
    assert services.plan_sections(plan)[0].text == "Bob's text"


def test_first_saves_of_one_section_by_two_members_conflict(world):
    plan = world.plan()
    services.save_section(world.alice, plan, "kpis", "A", base_version=0, now=NOW)
    with pytest.raises(SectionConflict):
        services.save_section(world.bob, plan, "kpis", "B", base_version=0, now=NOW)


def test_saves_of_different_sections_never_conflict(world):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "P", base_version=0, now=NOW)
    services.save_section(world.bob, plan, "objectives", "O", base_version=0, now=NOW)
    services.save_section(world.alice, plan, "problem", "P2", base_version=1, now=NOW)
    services.save_section(world.bob, plan, "objectives", "O2", base_version=1, now=NOW)
    texts = {s.key: (s.text, s.version) for s in services.plan_sections(plan)}
    assert texts == {"problem": ("P2", 2), "objectives": ("O2", 2), "kpis": ("", 0)}


def test_a_repeated_save_changes_nothing_and_is_no_conflict(world):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "Same", base_version=0, now=NOW)
    section = services.save_section(world.alice, plan, "problem", "Same", base_version=0, now=NOW)
    assert section.version == 1 and len(services.history(plan)) == 1


def test_bad_saves_are_refused(world):
    plan = world.plan()
    with pytest.raises(NotFound):
        services.save_section(world.alice, plan, "nope", "x", base_version=0, now=NOW)
    with pytest.raises(ValidationError):
        services.save_section(
            world.alice, plan, "problem", "x" * (services.MAX_SECTION_CHARS + 1),
            base_version=0, now=NOW,
        )  # fmt: skip
    for stranger in (world.chidi, world.coordinator):
        with pytest.raises(Forbidden):
            services.save_section(stranger, plan, "problem", "x", base_version=0, now=NOW)
    assert services.history(plan) == []


def test_restore_makes_a_new_version(world):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "First", base_version=0, now=NOW)
    services.save_section(world.alice, plan, "problem", "Second", base_version=1, now=NOW)
    first = services.history(plan)[-1]
    section = services.restore_version(world.bob, plan, first, base_version=2, now=NOW)
    assert section.text == "First" and section.version == 3
    newest = services.history(plan)[0]
    assert newest.restored_from_id == first.id and newest.author_id == world.bob.id
    with pytest.raises(SectionConflict):
        services.restore_version(world.bob, plan, first, base_version=2, now=NOW)


def test_versions_of_another_plan_are_not_found(world):
    mine, theirs = world.plan(world.alice), world.plan(world.chidi)
    services.save_section(world.chidi, theirs, "problem", "Abuja", base_version=0, now=NOW)
    version = services.history(theirs)[0]
    with pytest.raises(NotFound):
        services.get_version(mine, version.id)
    with pytest.raises(NotFound):
        services.restore_version(world.alice, mine, version, base_version=0, now=NOW)


def test_diff_of_two_versions(world):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "a\nb\nc", base_version=0, now=NOW)
    services.save_section(world.alice, plan, "problem", "a\nB\nc\nd", base_version=1, now=NOW)
    new, old = services.history(plan)
    lines = [(d.kind, d.text) for d in services.diff_versions(new, old)]
    assert lines == [
        ("same", "a"),
        ("removed", "b"),
        ("added", "B"),
        ("same", "c"),
        ("added", "d"),
    ]


# --- the state machine ---------------------------------------------------------------------------


def _written(world, plan):
    services.save_section(world.alice, plan, "problem", "Floods", base_version=0, now=NOW)
    return plan


def _to_state(world, plan, state):
    """Walk ``plan`` through the allowed transitions to ``state``."""
    path = {
        S.DRAFT: [],
        S.SUBMITTED: [S.SUBMITTED],
        S.IN_REVIEW: [S.SUBMITTED, S.IN_REVIEW],
        S.CHANGES_REQUESTED: [S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED],
        S.APPROVED: [S.SUBMITTED, S.IN_REVIEW, S.APPROVED],
    }[state]
    for step in path:
        _move(world, plan, step)
    assert plan.state == state


def _all_levels(world):
    return {c.key: c.levels[-1].id for c in services.rubric(world.course.id)}


def _move(world, plan, target, actor=None):
    if target == S.SUBMITTED:
        return services.submit(actor or world.alice, plan, now=NOW)
    if target == S.IN_REVIEW:
        return services.start_review(actor or world.coordinator, plan, now=NOW)
    if target in (S.APPROVED, S.CHANGES_REQUESTED):
        return services.decide(
            actor or world.coordinator, plan, target, levels=_all_levels(world), now=NOW
        )
    return services.reopen(actor or world.coordinator, plan, now=NOW)


ALLOWED = set(services.TRANSITIONS)


@pytest.mark.parametrize("source", ALL_STATES)
@pytest.mark.parametrize("target", ALL_STATES)
def test_every_transition_is_allowed_or_refused(world, source, target):
    plan = _written(world, world.plan())
    _to_state(world, plan, source)
    if (source, target) in ALLOWED:
        _move(world, plan, target)
        assert plan.state == target
        last = services.transitions_of(plan)[-1]
        assert (last.from_state, last.to_state, last.created_at) == (source, target, NOW)
    else:
        before = len(services.transitions_of(plan))
        with pytest.raises(Conflict):
            _move(world, plan, target)
        assert plan.state == source and len(services.transitions_of(plan)) == before


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_each_transition_is_refused_to_the_wrong_people(world, source, target):
    plan = _written(world, world.plan())
    _to_state(world, plan, source)
    who = services.TRANSITIONS[(source, target)]
    wrong = {
        services.TEAM: [world.coordinator, world.chidi, world.instructor],
        services.REVIEWER: [world.alice, world.chidi, world.instructor],
        services.COORDINATOR: [world.alice, world.instructor],
    }[who]
    if who == services.COORDINATOR:
        services.assign_reviewer(world.coordinator, plan, world.instructor, now=NOW)
    for actor in wrong:
        with pytest.raises(Forbidden):
            _move(world, plan, target, actor=actor)
    assert plan.state == source


def test_submitting_freezes_editing_until_changes_are_requested(world):
    plan = _written(world, world.plan())
    services.submit(world.bob, plan, comment="Ready", now=NOW)
    assert plan.waiting_since == NOW
    with pytest.raises(Conflict):
        services.save_section(world.alice, plan, "problem", "More", base_version=1, now=NOW)
    services.start_review(world.coordinator, plan, now=NOW)
    assert plan.reviewer_id == world.coordinator.id
    services.decide(
        world.coordinator, plan, S.CHANGES_REQUESTED, levels={},
        comment="Add numbers", section_comments={"kpis": "Which?", "ghost": "x"}, now=NOW,
    )  # fmt: skip
    assert plan.waiting_since is None
    review = services.reviews_of(plan)[0]
    assert review.section_comments == {"kpis": "Which?"} and review.scores == []
    services.save_section(world.alice, plan, "problem", "More", base_version=1, now=NOW)
    services.submit(world.alice, plan, now=NOW + timedelta(hours=1))
    assert plan.state == S.SUBMITTED and plan.waiting_since == NOW + timedelta(hours=1)


def test_an_empty_plan_cannot_be_submitted(world):
    with pytest.raises(ValidationError):
        services.submit(world.alice, world.plan(), now=NOW)


def test_approval_needs_every_criterion_scored_and_records_the_rubric(world):
    plan = _written(world, world.plan())
    _to_state(world, plan, S.IN_REVIEW)
    criteria = services.rubric(world.course.id)
    with pytest.raises(ValidationError):
        services.decide(
            world.coordinator, plan, S.APPROVED, levels={"relevance": criteria[0].levels[1].id},
            now=NOW,
        )  # fmt: skip
    with pytest.raises(ValidationError):  # a level of another criterion
        services.decide(
            world.coordinator, plan, S.APPROVED,
            levels={"relevance": criteria[1].levels[0].id, "feasibility": criteria[1].levels[0].id},
            now=NOW,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        services.decide(world.coordinator, plan, "maybe", levels={}, now=NOW)
    assert plan.state == S.IN_REVIEW
    review = services.decide(
        world.coordinator, plan, S.APPROVED,
        levels={"relevance": criteria[0].levels[1].id, "feasibility": criteria[1].levels[1].id},
        comment="Well done", now=NOW,
    )  # fmt: skip
    assert (review.total_points, review.max_points) == (5, 7)
    assert review.scores[0] == {
        "criterion": "relevance",
        "title": "Relevance to the city",
        "level": "Adequate",
        "points": 2,
        "max_points": 4,
    }


def test_approval_sends_the_signal_and_approved_user_ids_follow(world):
    plan = _written(world, world.plan())
    received = []

    def listener(sender, **kwargs):
        received.append((sender, kwargs))

    services.plan_approved.connect(listener)
    try:
        _to_state(world, plan, S.APPROVED)
    finally:
        services.plan_approved.disconnect(listener)
    assert received == [(plan, {"user_ids": [world.alice.id, world.bob.id], "now": NOW})]
    everyone = [world.alice.id, world.bob.id, world.chidi.id, world.outsider.id]
    assert services.approved_user_ids(world.run.id, everyone) == {world.alice.id, world.bob.id}
    assert services.approved_user_ids(world.run.id, []) == set()
    # A learner moved into the team counts with it; one moved out does not.
    services.move_learner(
        world.coordinator, world.run, world.chidi, f"city:{world.seoul.id}", now=NOW
    )
    services.move_learner(world.coordinator, world.run, world.bob, f"user:{world.bob.id}", now=NOW)
    assert services.approved_user_ids(world.run.id, everyone) == {world.alice.id, world.chidi.id}
    services.reopen(world.coordinator, plan, comment="One more look", now=NOW)
    assert services.approved_user_ids(world.run.id, everyone) == set()


def test_transition_recipients(world):
    plan = _written(world, world.plan())
    services.assign_reviewer(world.coordinator, plan, world.instructor, now=NOW)
    submitted = services.submit(world.alice, plan, now=NOW)
    ids = {u.id for u in services.transition_recipients(submitted)}
    assert ids == {world.alice.id, world.bob.id, world.coordinator.id, world.instructor.id}
    started = services.start_review(world.instructor, plan, now=NOW)
    assert {u.id for u in services.transition_recipients(started)} == {world.alice.id, world.bob.id}


# --- the queue and the contracts -------------------------------------------------------------------


def test_review_queue_filters_and_sorts(world):
    seoul, abuja = _written(world, world.plan(world.alice)), world.plan(world.chidi)
    services.save_section(world.chidi, abuja, "problem", "Traffic", base_version=0, now=NOW)
    services.submit(world.alice, seoul, now=NOW)
    services.submit(world.chidi, abuja, now=NOW - timedelta(days=2))
    queue = services.review_queue(world.coordinator, services.QueueFilters()).items
    assert [p.id for p in queue] == [abuja.id, seoul.id]  # longest waiting first
    by_country = services.review_queue(world.coordinator, services.QueueFilters(country="KR")).items
    assert [p.id for p in by_country] == [seoul.id]
    by_city = services.review_queue(
        world.coordinator, services.QueueFilters(city_id=world.abuja.id)
    ).items
    assert [p.id for p in by_city] == [abuja.id]
    services.start_review(world.coordinator, abuja, now=NOW)
    in_review = services.review_queue(
        world.coordinator, services.QueueFilters(state="in_review")
    ).items
    assert [p.id for p in in_review] == [abuja.id]
    assert services.review_queue(world.coordinator, services.QueueFilters(run_id=-1)).items == []
    assert services.review_queue(world.instructor, services.QueueFilters()).items == []
    services.assign_reviewer(world.coordinator, seoul, world.instructor, now=NOW)
    assert [
        p.id for p in services.review_queue(world.instructor, services.QueueFilters()).items
    ] == [seoul.id]
    other_coordinator = create_user(roles=("coordinator",))
    assert services.review_queue(other_coordinator, services.QueueFilters()).items == []
    one = services.review_queue(world.coordinator, services.QueueFilters(), page=9, per_page=1)
    assert (one.total, one.page, one.pages, [p.id for p in one.items]) == (2, 2, 2, [seoul.id])
    runs, cities = services.queue_choices(world.coordinator)
    assert [r.id for r in runs] == [world.run.id]
    assert {c.id for c in cities} == {world.seoul.id, world.abuja.id}


def test_plan_deadlines_for_the_calendar(world):
    deadlines = services.plan_deadlines(world.alice, NOW)
    due = Deadline(
        uid=f"plan-due-{world.run.id}",
        title=f"Action plan due: {world.course.title} ({world.run.title})",
        due_at=NOW + timedelta(days=14),
        url_path=f"/runs/{world.run.id}/plan",
    )
    assert deadlines == [due]
    assert services.plan_deadlines(world.outsider, NOW) == []
    assert services.plan_deadlines(world.alice, world.run.ends_at + timedelta(days=1)) == []
    # Registered with the courses' deadline registry, so calendar feeds list it.
    assert due in deadlines_for(world.alice, now=NOW)


def test_plan_states_for_the_learner_pages(world):
    plan = world.plan()
    assert services.plan_states_for(world.bob, [world.run.id]) == {world.run.id: "draft"}
    assert services.plan_states_for(world.chidi, [world.run.id]) == {}
    assert plan.state == "draft"


# --- attachments ------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_attachments_are_checked_by_content_and_size(world, tmp_path):
    plan = world.plan()
    storage = LocalStorage(tmp_path)
    added = services.add_attachment(
        world.alice, plan, io.BytesIO(PDF), "../budget.exe", storage=storage, max_bytes=10_000,
        now=NOW,
    )  # fmt: skip
    assert added.filename == "budget.pdf" and added.media_type == "application/pdf"
    with pytest.raises(ValidationError):
        services.add_attachment(
            world.alice, plan, io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.pdf", storage=storage,
            max_bytes=10_000, now=NOW,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        services.add_attachment(
            world.alice, plan, io.BytesIO(PDF + b"0" * 100), "big.pdf", storage=storage,
            max_bytes=50, now=NOW,
        )  # fmt: skip
    with pytest.raises(Forbidden):
        services.add_attachment(
            world.chidi, plan, io.BytesIO(PDF), "x.pdf", storage=storage, max_bytes=10_000,
            now=NOW,
        )  # fmt: skip
    assert [a.id for a in services.attachments_of(plan)] == [added.id]
    services.remove_attachment(world.bob, added, now=NOW)
    assert services.attachments_of(plan) == []


def test_template_and_rubric_are_replaced_by_key(world):
    from learning.plans.services import CriterionSpec, LevelSpec, SectionSpec

    plan = world.plan()
    services.save_section(world.alice, plan, "kpis", "Keep me", base_version=0, now=NOW)
    services.set_template(world.course, [SectionSpec("risks", "Risks")], now=NOW)
    assert [s.key for s in services.template_sections(world.course.id)] == ["risks"]
    services.set_template(world.course, [SectionSpec("kpis", "KPIs")], now=NOW)
    assert services.plan_sections(plan)[0].text == "Keep me"
    with pytest.raises(ValidationError):
        services.set_template(world.course, [SectionSpec("a", "A"), SectionSpec("a", "B")], now=NOW)
    services.set_rubric(world.course, [CriterionSpec("x", "X", (LevelSpec("Only", 1),))], now=NOW)
    assert [(c.key, c.max_points) for c in services.rubric(world.course.id)] == [("x", 1)]
    with pytest.raises(ValidationError):
        services.set_rubric(world.course, [CriterionSpec("y", "Y", ())], now=NOW)


def test_version_rows_are_never_rewritten(world, db):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "v1", base_version=0, now=NOW)
    services.save_section(world.alice, plan, "problem", "v2", base_version=1, now=NOW)
    texts = [v.text for v in db.session.query(PlanVersion).filter_by(plan_id=plan.id)]
    assert sorted(texts) == ["v1", "v2"]


def test_city_filter_lists_only_cities_with_plans(world):
    create_city(name="Nowhere", country="FR")
    world.plan()
    _runs, cities = services.queue_choices(world.coordinator)
    assert [c.id for c in cities] == [world.seoul.id]
