"""Call scripts in the real desktop during real calls: the prompt in the
message area, the Scripts page worked from the keyboard, the answers in the
interaction record as the call goes, the run going on after a transfer, and
a version changed while an agent runs the old one."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from agent_desktop import crm_access
from crm.db import Database
from crm.permissions import Actor
from crm.services import scripts as store
from desktop_harness import add_person, desks, trigger, wait_enabled, wait_mode, wait_state  # noqa: F401 - fixtures
from gateway_harness import (  # noqa: F401 - fixtures
    ANN_TONE,
    BOB_TONE,
    CUSTOMER_TONE,
    customer,
    make_gateway,
    media,
    phone,
)
from agent_desktop.controls import Control
from scripting import library

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parent.parent / "scripting" / "examples"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"

# The complaint intake, on the test gateway's queue.
INTAKE = (EXAMPLES / "complaint-intake-en.yaml").read_text().replace(
    "queues: [billing-en, technical-en]", "queues: [billing]")
PROMPT = """
name: top-customer
kind: prompt
applies_to: {queues: [billing]}
when: partner.value_class == 'A'
text: Top customer {{ partner.name }}, thank them for their loyalty.
"""


def install(db_url: str, *sources: str) -> None:
    """Import and activate scripts, with the product list their questions offer."""
    from sqlalchemy import select

    from crm.models import Product

    database = Database.open(db_url)
    with database.unit_of_work() as session:
        if session.scalar(select(Product.id).limit(1)) is None:
            session.add_all([Product(product_no="P000001", name="Fibre 300"),
                             Product(product_no="P000002", name="Wi-Fi 6 router")])
    for source in sources:
        stored, _ = library.import_script(database, Actor.system(), source)
        library.activate(database, Actor.system(), stored.name, stored.version)
    database.dispose()


def runs_of(db_url: str, call_id: str):
    database = Database.open(db_url)
    try:
        with database.reading() as session:
            return store.runs_of_contact(session, Actor.system(), call_id)
    finally:
        database.dispose()


def key(qtbot, widget, *keys) -> None:
    for each in keys:
        if isinstance(each, tuple):
            qtbot.keyClick(widget, each[0], each[1])
        else:
            qtbot.keyClick(widget, each)


def step_is(qtbot, page, node: str) -> None:
    def there() -> None:
        assert page._step is not None and page._step.node == node, (
            f"at {page._step and page._step.node}, not {node}; error: {page.error.text()!r}")

    qtbot.waitUntil(there, timeout=5000)


def test_the_script_is_worked_from_the_keyboard_and_its_answers_land_in_the_record(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "王", "芳", phones=["13911112222"], value_class="A")
    install(gateway.db_url, INTAKE, PROMPT)
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    window, bench = desk.window, desk.controller.bench
    page = window.scripts
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13911112222")
    wait_state(qtbot, desk, "talking")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is page, timeout=10000)  # opened by itself
    qtbot.waitUntil(lambda: "Thank you for calling, 王芳" in page.text.text(), timeout=5000)
    assert "My name is Ann" in page.text.text()
    assert any(n.level == "prompt" and "Top customer 王芳" in n.text for n in bench.notices)
    call_id = bench.contact.call_id

    key(qtbot, page.next_button, Qt.Key.Key_Return)  # the greeting said
    step_is(qtbot, page, "category")
    key(qtbot, page.single, Qt.Key.Key_2)  # outage, chosen
    bench._changed("contact")  # the customer's data arriving meanwhile leaves the choice as it is
    key(qtbot, page.single, (Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier))
    step_is(qtbot, page, "outage_since")
    assert page.date.text() == "(no date)" and page.value() is None  # a required date is not today by itself
    key(qtbot, page.date, Qt.Key.Key_Return)
    assert "needs an answer" in page.error.text() and page._step.node == "outage_since"
    qtbot.keyClicks(page.date, "19991231")  # typed, year first; before 2000 too
    assert page.date.text() == "1999-12-31"
    key(qtbot, page.date, (Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier))
    step_is(qtbot, page, "lines_affected")
    qtbot.keyClicks(page.line, "zero")
    key(qtbot, page.line, Qt.Key.Key_Return)
    assert "not a number" in page.error.text() and page._step.node == "lines_affected"
    page.line.clear()
    qtbot.keyClicks(page.line, "2")
    key(qtbot, page.line, Qt.Key.Key_Return)
    step_is(qtbot, page, "description")
    key(qtbot, page.line, (Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier))  # back: 2 is kept
    step_is(qtbot, page, "lines_affected")
    assert page.line.text() == "2"
    key(qtbot, page.line, Qt.Key.Key_Return)
    step_is(qtbot, page, "description")
    qtbot.keyClicks(page.line, "no internet since Sunday")
    key(qtbot, page.line, Qt.Key.Key_Return)
    step_is(qtbot, page, "product")
    assert page.listed.count() > 1 and page.listed.itemData(0) is None  # optional: "(none)" first
    key(qtbot, page.listed, (Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier))
    step_is(qtbot, page, "severity")
    key(qtbot, page.single, Qt.Key.Key_3, Qt.Key.Key_Return)  # high, and a value-class A customer
    step_is(qtbot, page, "escalate")
    assert page.outcome.isVisible() and "escalated" in page.outcome.text()
    assert not page.next_button.isEnabled()
    assert bench.contact.draft.outcome_code == "escalated"  # the record's outcome, from the script

    # Saved as the call goes, before the agent ends the contact.
    qtbot.waitUntil(lambda: bool(runs_of(gateway.db_url, call_id)) and
                    runs_of(gateway.db_url, call_id)[0].outcome == "escalated", timeout=10000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SCREENSHOTS / "desktop_scripts.png"))

    trigger(desk, Control.HANGUP)
    wait_state(qtbot, desk, "wrap_up")
    records = []
    desk.controller.record_saved.connect(lambda k, rid: records.append(rid))
    wait_enabled(qtbot, desk, Control.END)
    trigger(desk, Control.END)
    qtbot.waitUntil(lambda: bool(records), timeout=15000)
    run, = runs_of(gateway.db_url, call_id)
    assert run.interaction_id == records[0] and (run.script, run.version, run.agent) == (
        "complaint-intake-en", 1, "ann")
    answers = {a.node: a.value for a in run.answers}
    assert answers["category"] == "outage" and answers["lines_affected"] == 2
    assert answers["description"] == "no internet since Sunday" and answers["product"] is None
    assert answers["severity"] == "high" and answers["outage_since"] == "1999-12-31"
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        from crm.models import Interaction

        record = session.get(Interaction, records[0])
        assert (record.partner_id, record.outcome_code) == (partner_id, "escalated")
    shown = dict(crm_access.interaction_detail(desk.controller.crm, records[0]))["script"]
    database.dispose()
    assert shown.startswith("Service complaint intake (v1): escalated")
    assert '"What is your complaint about?" → The service does not work' in shown
    caller.stop()


def test_after_a_transfer_the_colleague_goes_on_with_the_same_run(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    add_person(gateway.db_url, "李", "强", phones=["13622223333"], value_class="B")
    install(gateway.db_url, INTAKE)
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    bob_phone = phone("bob", media(BOB_TONE), answer_ms=300)
    open_desk = desks(gateway)
    ann, bob = open_desk("ann", ann_phone.uri), open_desk("bob", bob_phone.uri)
    trigger(ann, Control.READY)
    wait_mode(qtbot, ann, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13622223333")
    wait_state(qtbot, ann, "talking")
    page = ann.window.scripts
    step_is(qtbot, page, "greet")
    page.go_next()
    page.single.setCurrentRow(0)  # billing
    page.go_next()
    step_is(qtbot, page, "invoice_number")
    page.line.setText("INV-2026-118")
    page.go_next()
    step_is(qtbot, page, "disputed_amount")
    call_id = ann.controller.bench.contact.call_id
    trigger(bob, Control.READY)
    wait_mode(qtbot, bob, "ready")

    def fill_transfer_dialog():
        dialog = QApplication.activeModalWidget()
        dialog.kind.setCurrentIndex(dialog.kind.findData("agent"))
        dialog.value.setText("bob")
        dialog.accept()

    QTimer.singleShot(300, fill_transfer_dialog)
    trigger(ann, Control.TRANSFER)
    wait_state(qtbot, bob, "talking", timeout=15000)
    bob_page = bob.window.scripts
    step_is(qtbot, bob_page, "disputed_amount")  # where ann stopped
    path = [bob_page.path.item(i).text() for i in range(bob_page.path.count())]
    assert any("INV-2026-118" in line for line in path) and any("A bill or a charge" in line for line in path)
    bob_page.line.setText("120.5")
    bob_page.go_next()
    step_is(qtbot, bob_page, "description")
    qtbot.waitUntil(lambda: any(a.node == "disputed_amount" for r in runs_of(gateway.db_url, call_id)
                                for a in r.answers), timeout=10000)
    run, = runs_of(gateway.db_url, call_id)  # one run for the call, now bob's
    assert run.agent == "bob"
    assert [(a.node, a.value) for a in run.answers] == [
        ("category", "billing"), ("invoice_number", "INV-2026-118"), ("disputed_amount", 120.5)]

    # Ann, in wrap-up, still sees the run as she left it, but cannot move it on.
    wait_state(qtbot, ann, "wrap_up")
    qtbot.waitUntil(lambda: not page.next_button.isEnabled(), timeout=5000)
    assert "went to a colleague" in page.error.text() and not page.back_button.isEnabled()
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page._step.node == "disputed_amount"
    # She ends the contact: her record is saved and her older copy is not saved over bob's answers.
    records = []
    ann.controller.record_saved.connect(lambda k, rid: records.append(rid))
    wait_enabled(qtbot, ann, Control.END)
    trigger(ann, Control.END)
    qtbot.waitUntil(lambda: bool(records), timeout=15000)
    run, = runs_of(gateway.db_url, call_id)
    assert run.agent == "bob" and run.state["path"][-1] == "description"
    assert [a.node for a in run.answers] == ["category", "invoice_number", "disputed_amount"]
    database = Database.open(gateway.db_url)
    try:
        with database.reading() as session:  # ann's record keeps its link to the run
            assert [r.run_key for r in store.runs_of_interaction(session, Actor.system(), records[0])] == [
                run.run_key]
        assert "INV-2026-118" in dict(crm_access.interaction_detail(ann.controller.crm, records[0]))["script"]
    finally:
        database.dispose()
    caller.stop()


def test_a_version_activated_during_a_call_leaves_the_running_one_alone(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    gateway = make_gateway()
    add_person(gateway.db_url, "赵", "敏", phones=["13733334444"])
    install(gateway.db_url, INTAKE)
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13733334444")
    wait_state(qtbot, desk, "talking")
    page = desk.window.scripts
    step_is(qtbot, page, "greet")
    install(gateway.db_url, INTAKE.replace("My name is", "I am"))  # version 2, active now
    page.go_next()
    step_is(qtbot, page, "category")
    page.go_back()
    step_is(qtbot, page, "greet")
    assert "My name is Ann" in page.text.text() and page.title.text().endswith("v1")
    caller.stop()


KEYS = """
name: keys-check
title: Keys check
applies_to: {queues: [elsewhere]}
nodes:
  - {id: hello, type: text, next: agree,
     text: "Hello {{ partner.first_name }}, you have {{ partner.open_complaints + 1 }} cases."}
  - {id: agree, type: question, text: "Agree?", answer: yes_no,
     branches: [{value: "yes", goto: wish}, {value: "no", goto: bye}]}
  - {id: wish, type: question, text: "Wishes?", answer: multiple_choice,
     options: [{value: a, label: Alpha}, {value: b, label: Beta}, {value: c, label: Gamma}], next: check}
  - id: check
    type: branch
    branches: [{if: "partner.value_class != 'A'", goto: bye}]
    otherwise: done
  - {id: done, type: end, outcome: done}
  - {id: bye, type: end, outcome: bye}
"""


def store_unchecked(db_url: str, name: str, nodes: list) -> None:
    """A version stored without the validator, as an older release could have."""
    database = Database.open(db_url)
    with database.unit_of_work() as session:
        stored = store.add_version(session, Actor.system(), name=name, kind="interactive", title=name,
                                   document={"name": name, "title": name, "nodes": nodes})
        store.activate(session, Actor.system(), name, stored.version)
    database.dispose()


def open_script(qtbot, page, name: str) -> None:
    """The agent picks a script in the list and presses Open."""
    qtbot.waitUntil(lambda: page.choice.findData(name) >= 0 and page.open_button.isEnabled(), timeout=5000)
    page.choice.setCurrentIndex(page.choice.findData(name))
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)


def test_keys_open_placeholders_and_prompts_for_a_caller_identified_later(
        make_gateway, desks, media, phone, qtbot, tmp_path):
    from sqlalchemy import select

    from agent_desktop.workbench import PartnerRef
    from crm.models import BusinessPartner

    gateway = make_gateway()
    partner_id = add_person(gateway.db_url, "王", "芳", value_class="A")
    install(gateway.db_url, INTAKE, PROMPT, KEYS)
    store_unchecked(gateway.db_url, "heavy", [
        {"id": "a", "type": "text", "next": "e",
         "text": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"},
        {"id": "e", "type": "end", "outcome": "x"}])
    store_unchecked(gateway.db_url, "circle", [
        {"id": "check", "type": "branch", "branches": [{"if": "true", "goto": "check"}], "otherwise": "e"},
        {"id": "e", "type": "end", "outcome": "x"}])
    ann_phone = phone("ann", media(ANN_TONE), answer_ms=300)
    desk = desks(gateway)("ann", ann_phone.uri)
    window, bench, page = desk.window, desk.controller.bench, desk.window.scripts
    trigger(desk, Control.READY)
    wait_mode(qtbot, desk, "ready")
    caller = customer(gateway, tmp_path, media(CUSTOMER_TONE), hold_ms=60000, ani="13000000000")  # unknown
    wait_state(qtbot, desk, "talking")
    step_is(qtbot, page, "greet")  # the intake, by its queue
    window.stack.setCurrentWidget(page)

    # A template that would run for ages: refused at once, shown as such.
    open_script(qtbot, page, "heavy")
    qtbot.waitUntil(lambda: page.title.text().startswith("heavy"), timeout=5000)
    assert page.text.text() == "[refused]" and "refused: " in page.warnings.text()
    # A stored script that goes round without stopping: a notice, the open run stays.
    open_script(qtbot, page, "circle")
    qtbot.waitUntil(lambda: any("circle cannot start" in n.text for n in bench.notices), timeout=5000)
    assert page.title.text().startswith("heavy")

    open_script(qtbot, page, "keys-check")
    step_is(qtbot, page, "hello")
    assert page.text.text() == "Hello [partner.first_name], you have [partner.open_complaints + 1] cases."
    assert "partner.first_name has no value" in page.warnings.text()
    assert "could not be shown" in page.warnings.text() and page.warnings.isVisible()
    assert not any(n.level == "prompt" for n in bench.notices)  # its `when` needs the partner

    # The agent identifies the caller: the prompt for top customers comes now, once.
    database = Database.open(gateway.db_url)
    with database.reading() as session:
        partner_no = session.scalar(select(BusinessPartner.partner_no).where(BusinessPartner.id == partner_id))
    database.dispose()
    desk.controller.confirm_partner(PartnerRef(partner_id, partner_no, "王芳"))
    qtbot.waitUntil(lambda: any(n.level == "prompt" and "Top customer 王芳" in n.text for n in bench.notices),
                    timeout=10000)
    qtbot.waitUntil(lambda: page.text.text() == "Hello 芳, you have 1 cases.", timeout=5000)
    assert not page.warnings.isVisible()

    key(qtbot, page.next_button, Qt.Key.Key_Return)
    step_is(qtbot, page, "agree")
    assert page.inputs.currentWidget() is page.yes_no
    key(qtbot, page.yes, Qt.Key.Key_N)
    assert page.no.isChecked() and not page.yes.isChecked()
    key(qtbot, page.no, Qt.Key.Key_Y)
    assert page.yes.isChecked() and page.value() == "yes"
    key(qtbot, page.yes, Qt.Key.Key_Return)
    step_is(qtbot, page, "wish")
    key(qtbot, page.multi, Qt.Key.Key_3, Qt.Key.Key_1)  # tick Gamma and Alpha by their numbers
    assert page.value() == ["a", "c"]
    key(qtbot, page.multi, Qt.Key.Key_Down, Qt.Key.Key_Space)  # Beta ticked with Space
    key(qtbot, page.multi, Qt.Key.Key_3)  # and Gamma unticked again
    assert page.value() == ["a", "b"]
    key(qtbot, page.multi, Qt.Key.Key_Return)
    step_is(qtbot, page, "done")  # value class A: `!= 'A'` does not hold
    assert "done" in page.outcome.text()
    path = [page.path.item(i).text() for i in range(page.path.count())]
    assert any("→ Yes" in line for line in path) and any("→ Alpha, Beta" in line for line in path)
    assert sum(n.level == "prompt" for n in bench.notices) == 1
    caller.stop()
