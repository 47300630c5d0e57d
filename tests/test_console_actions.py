"""Supervisors acting on agents from the console, through the whole product: a real gateway,
`cicada console` as a real server, Chromium (Playwright). The supervisor sets an agent Not
ready from the wallboard and sees the new mode, messages him, logs him off; every action is on
the Actions page; a POST without its CSRF token, and an agent outside her org units, are refused."""

from __future__ import annotations

import pytest

import browser_harness
from bus import cti
from console_harness import RunningConsole, people
from gateway_harness import make_gateway  # noqa: F401
from test_console_wallboard import WALL, agent_row, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def console(make_gateway, tmp_path):
    gateway = make_gateway()  # ann and bob, billing agents
    people(gateway.db_url)  # ann in sue's team; bob in none
    running = RunningConsole(tmp_path / "console", gateway).start()
    running.gateway = gateway
    yield running
    running.stop()


def act(page, agent: str, button: str) -> None:
    agent_row(page, agent).locator(f"button.{button}").click()
    page.wait_for_selector("#action-dialog[open]")


def answer(page, text: str) -> str:
    shown = page.locator("#action-result").filter(has_text=text)
    shown.wait_for(timeout=5000)
    return shown.inner_text()


def test_a_supervisor_sets_an_agent_not_ready_messages_and_logs_him_off(console, chromium):
    gateway = console.gateway
    ann = gateway.desktop("ann", "sip:ann@127.0.0.1:5998", ready=True)
    context = chromium.new_context(viewport=WALL, locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "sue")
        page.wait_for_selector("#status.live")
        row = agent_row(page, "ann")
        row.locator("td.mode").filter(has_text="Ready").wait_for()

        act(page, "ann", "act-not-ready")
        assert "break" in page.locator("#action-dialog select option").all_inner_texts()
        page.select_option("#action-dialog select", "meeting")
        page.click("#action-send")
        assert answer(page, "Not ready") == "ann is now Not ready (meeting)."
        row.locator("td.mode").filter(has_text="Not ready").wait_for(timeout=3000)
        assert row.locator("td.reason").inner_text() == "meeting"
        told = ann.wait_for(lambda e: isinstance(e, cti.AgentNotice) and e.code == "supervisor_not_ready", 5)
        assert told.params["supervisor"] == "Sue Supervisor"

        act(page, "ann", "act-message")
        page.fill("#action-dialog textarea", "Please call me back")
        page.click("#action-send")
        assert answer(page, "Message sent") == "Message sent to 1 agent(s)."
        ann.wait_for(lambda e: isinstance(e, cti.AgentBroadcast) and e.text == "Please call me back", 5)
        page.screenshot(path=browser_harness.screenshot_path("console_actions_wallboard.png"))

        page.click("#message-all")  # to one of her teams
        page.wait_for_selector("#action-dialog[open]")
        page.select_option("#action-dialog select[name=team]", label="Team North")
        page.fill("#action-dialog textarea", "Team briefing at 4")
        page.click("#action-send")
        answer(page, "Message sent to 1 agent(s).")
        ann.wait_for(lambda e: isinstance(e, cti.AgentBroadcast) and e.text == "Team briefing at 4", 5)

        page.locator("#action-result").filter(has_text="Message sent to 1").wait_for()
        act(page, "ann", "act-log-off")
        assert "Log off ann" in page.inner_text("#action-dialog")
        page.click("#action-send")
        assert answer(page, "logged off") == "ann is logged off."
        agent_row(page, "ann").wait_for(state="detached", timeout=3000)
        assert "ann" not in [a.agent for a in gateway.status().agents]

        page.click("#actions-link")
        page.wait_for_url("**/actions")
        rows = page.locator("#actions tbody tr")
        rows.first.wait_for()
        assert rows.count() == 4
        assert [rows.nth(i).locator("td.action").inner_text() for i in range(4)] == [
            "Log off", "Message", "Message", "Not ready"]
        assert rows.nth(1).locator("td.whom").inner_text() == "Team north"
        first = rows.nth(3)
        assert first.locator("td.by").inner_text() == "Sue Supervisor"
        assert first.locator("td.whom").inner_text() == "ann" and first.locator("td.details").inner_text() == "meeting"
        assert first.locator("td.outcome").inner_text() == "Done"
        page.screenshot(path=browser_harness.screenshot_path("console_actions.png"))
    finally:
        context.close()
    assert "Traceback" not in console.log()


def test_an_action_without_its_csrf_token_or_outside_her_units_is_refused(console, chromium):
    gateway = console.gateway
    gateway.desktop("ann", "sip:ann@127.0.0.1:5998", ready=True)
    gateway.desktop("bob", "sip:bob@127.0.0.1:5999", ready=True)
    context = chromium.new_context(viewport=WALL, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, console, "zhou")  # sue's team, in Chinese
        page.wait_for_selector("#status.live")
        agent_row(page, "ann").wait_for()
        bare = page.request.post(console.url + "actions/agent", form={"action": "log_off", "agent": "ann"})
        assert bare.status == 403
        forged = page.request.post(console.url + "actions/agent",
                                   form={"csrf": "not-the-token", "action": "log_off", "agent": "ann"})
        assert forged.status == 403
        assert [a.mode for a in gateway.status().agents if a.agent == "ann"] == ["ready"]  # nothing done

        csrf = page.input_value("form[action='/signout'] input[name=csrf]")
        outside = page.request.post(console.url + "actions/agent",
                                    form={"csrf": csrf, "action": "not_ready", "agent": "bob", "reason": "break"})
        assert outside.ok and outside.json() == {"ok": False, "text": "已拒绝：该座席不在您所辖的组织单元内。"}
        unknown = page.request.post(console.url + "actions/agent",
                                    form={"csrf": csrf, "action": "not_ready", "agent": "ann", "reason": "coffee"})
        assert unknown.json()["ok"] is False and "未知的原因" in unknown.json()["text"]
        assert [a.mode for a in gateway.status().agents if a.agent in ("ann", "bob")] == ["ready", "ready"]

        act(page, "ann", "act-not-ready")
        assert "设为未就绪" in page.inner_text("#action-dialog")
        page.click("#action-cancel")
        page.goto(console.url + "actions")
        page.locator("#actions tbody tr").first.wait_for()
        assert "被拒绝 (forbidden)" in page.inner_text("#actions")  # the refusals are in the trail too
    finally:
        context.close()
    assert "CSRF token refused" in console.log()
