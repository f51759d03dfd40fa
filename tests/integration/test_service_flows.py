"""Service tests over the real broker: the two flows of the design card at RPC level, each
service in its own process, on SQLite and on PostgreSQL."""
import pytest

from services.common.errors import Forbidden, Invalid, NotFound, Unauthenticated
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"


@pytest.fixture(scope="module")
def cluster(system):
    return system


def ctx_of(account):
    return {"user_id": account["id"], "school_id": account["school_id"], "roles": account["roles"]}


@pytest.fixture(scope="module")
def school(cluster):
    """A school with an admin, a teacher, a student with a parent, and a class."""
    import uuid
    tag = uuid.uuid4().hex[:6]
    rpc = cluster.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa {tag}", "short_name": f"sp{tag}"})
    acc = lambda roles, first, last: rpc("identity", "create_account", {   # noqa: E731
        "school_id": s["id"], "first_name": first, "last_name": last, "roles": roles, "password": PASSWORD})
    admin = acc(["school_admin"], "Anna", "Administratorka")
    teacher = acc(["teacher"], "Tomasz", "Nauczyciel")
    student = acc(["student"], "Zofia", "Uczennica")
    parent = acc(["parent"], "Paweł", "Rodzic")
    rpc("identity", "link_guardian", s["id"], {"parent_id": parent["id"], "student_id": student["id"]},
        ctx=ctx_of(admin))
    klass = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": teacher["id"]},
                ctx=ctx_of(admin))
    rpc("scheduling", "enrol_student", klass["id"], {"student_id": student["id"]}, ctx=ctx_of(admin))
    return dict(school=s, admin=admin, teacher=teacher, student=student, parent=parent, klass=klass)


def test_msg3_note_is_written_to_student_file(cluster, school):
    teacher, student, parent = school["teacher"], school["student"], school["parent"]
    msg = cluster.rpc("messaging", "send_message", {
        "kind": "note", "subject": "Przeszkadzanie na lekcji", "body": "Zofia rozmawiała podczas sprawdzianu.",
        "student_id": student["id"], "note_kind": "negative", "note_category": "zachowanie"},
        ctx=ctx_of(teacher))
    assert msg["recipient_count"] == 1   # the parent
    file = wait_for(lambda: (f := cluster.rpc("identity", "get_student_file", student["id"],
                                               ctx=ctx_of(parent)))["notes"] and f,
                    timeout=20, what="note in the student file")
    note = file["notes"][0]
    assert note["source_message_id"] == msg["id"]
    assert note["kind"] == "negative" and note["author_name"] == "Tomasz Nauczyciel"
    # The parent also has the note in the inbox.
    inbox = cluster.rpc("messaging", "inbox", ctx=ctx_of(parent))
    assert [m["id"] for m in inbox] == [msg["id"]]


def test_org7_removed_student_cannot_log_in(cluster, school):
    student, admin, klass = school["student"], school["admin"], school["klass"]
    assert cluster.rpc("identity", "login", {"login": student["login"], "password": PASSWORD})["token"]
    cluster.rpc("scheduling", "remove_from_class_list", klass["id"], student["id"],
                {"reason": "zmiana szkoły"}, ctx=ctx_of(admin))

    def refused():
        try:
            cluster.rpc("identity", "login", {"login": student["login"], "password": PASSWORD})
            return False
        except Unauthenticated as exc:
            return exc
    exc = wait_for(refused, timeout=20, what="login refused")
    assert "zablokowane" in exc.message
    # The enrolment is kept (ended), not deleted: it still counts in statistics.
    rows = cluster.rpc("scheduling", "class_list", klass["id"], True, ctx=ctx_of(admin))
    assert [(r["student_id"], r["status"]) for r in rows] == [(student["id"], "removed")]


def test_ten1_other_school_ids_are_not_found(cluster, school):
    other = cluster.rpc("identity", "create_school", {"name": "Liceum Drugie", "short_name": "lo2-" + school["school"]["short_name"]})
    other_admin = cluster.rpc("identity", "create_account", {
        "school_id": other["id"], "first_name": "Ewa", "last_name": "Obca", "roles": ["school_admin"]})
    ctx = ctx_of(other_admin)
    with pytest.raises(NotFound):
        cluster.rpc("identity", "get_student_file", school["student"]["id"], ctx=ctx)
    with pytest.raises(NotFound):
        cluster.rpc("scheduling", "class_list", school["klass"]["id"], ctx=ctx)
    with pytest.raises(NotFound):
        cluster.rpc("identity", "list_accounts", school["school"]["id"], ctx=ctx)


def test_rpc_invalid_arguments_name_the_field(cluster, school):
    with pytest.raises(Invalid) as err:
        cluster.rpc("scheduling", "create_class", school["school"]["id"], {"name": ""},
                    ctx=ctx_of(school["admin"]))
    assert "name" in err.value.fields


def test_student_cannot_send_notes(cluster, school):
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "send_message", {"kind": "note", "subject": "x", "body": "y",
                                                  "student_id": school["student"]["id"], "note_kind": "positive"},
                    ctx=ctx_of(school["student"]))
