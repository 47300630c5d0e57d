"""Which tabs and actions an agent sees, and in which order.

The layout is the IC profile setting `action_box` (crm.services.profiles):
set on the contact center, a site, a team or an agent, each level merged
over the one above entry by entry (a tab, link or template with the same id
replaces the inherited one, new ones are added, `hidden` removes), and all
of it over DEFAULT_LAYOUT.
A layout names actions by id; an id no installed action has is skipped
(with a log line) when the desktop shows it, and refused when a layout is
imported (`check_layout`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from crm.errors import ValidationError
from crm.profile_types import merge_action_box, validate_setting
from action_box.model import Action, localized
from action_box.registry import all_actions, is_builtin_or_link

log = logging.getLogger(__name__)

DEFAULT_LAYOUT: dict = {
    "tabs": [
        {"id": "service", "label": {"en": "Service", "zh": "服务"},
         "actions": ["service_order", "complaint", "callback"]},
        {"id": "sales", "label": {"en": "Sales", "zh": "销售"}, "actions": ["sales_order", "lead"]},
        {"id": "follow_up", "label": {"en": "Follow-up", "zh": "跟进"}, "actions": ["email", "task", "map"]},
    ],
    "links": [
        {"id": "map", "label": {"en": "Customer's city on the map", "zh": "在地图上查看客户所在城市"},
         "url": "https://www.openstreetmap.org/search?query={{ partner.city|urlencode }}",
         "needs": ["partner"]},
    ],
    "reply_templates": [
        {"id": "answer_en", "language": "en", "channel": "email", "label": "Answer",
         "body": "Dear {{ contact_person.name or partner.name or conversation.customer }},\n\n"
                 "thank you for your message of {{ conversation.received }}.\n\n\n\n"
                 "Kind regards,\n{{ agent.name }}\nCicada customer service"},
        {"id": "answer_zh", "language": "zh", "channel": "email", "label": "答复",
         "body": "尊敬的{{ contact_person.name or partner.name or conversation.customer }}：\n\n"
                 "感谢您{{ conversation.received }}的来信。\n\n\n\n此致\n{{ agent.name }}\n知了客户服务"},
        {"id": "greeting_en", "language": "en", "channel": "chat", "label": "Greeting",
         "body": "Hello {{ conversation.customer }}, I am {{ agent.name }}. How can I help you?"},
        {"id": "greeting_zh", "language": "zh", "channel": "chat", "label": "问候",
         "body": "{{ conversation.customer }}您好，我是{{ agent.name }}，请问有什么可以帮您？"},
        {"id": "moment_en", "language": "en", "channel": "chat", "label": "One moment",
         "body": "One moment please, I am looking into it."},
        {"id": "moment_zh", "language": "zh", "channel": "chat", "label": "请稍候",
         "body": "请稍候，我正在为您查询。"},
    ],
    "email_templates": [
        {"id": "thanks_en", "language": "en", "label": "Thank you for your call",
         "subject": "Your call with {{ agent.name }}",
         "body": "Dear {{ contact_person.name or partner.name }},\n\n"
                 "thank you for calling us today. As agreed, we take care of your request and will "
                 "keep you informed.\n\nKind regards,\n{{ agent.name }}\nCicada customer service"},
        {"id": "complaint_en", "language": "en", "label": "Complaint received",
         "subject": "We have registered your complaint",
         "body": "Dear {{ contact_person.name or partner.name }},\n\n"
                 "we are sorry for the trouble. Your complaint is registered and our complaints team "
                 "will answer you within two working days.\n\nKind regards,\n{{ agent.name }}"},
        {"id": "thanks_zh", "language": "zh", "label": "感谢来电",
         "subject": "您与{{ agent.name }}的通话",
         "body": "尊敬的{{ contact_person.name or partner.name }}：\n\n感谢您今天的来电。我们会按约定处理您的需求，"
                 "并及时告知您进展。\n\n此致\n{{ agent.name }}\n知了客户服务"},
        {"id": "complaint_zh", "language": "zh", "label": "已受理投诉",
         "subject": "我们已受理您的投诉",
         "body": "尊敬的{{ contact_person.name or partner.name }}：\n\n给您带来不便，我们深表歉意。"
                 "您的投诉已登记，投诉处理组会在两个工作日内答复您。\n\n此致\n{{ agent.name }}"},
    ],
}


@dataclass(frozen=True)
class Tab:
    id: str
    label: str
    actions: tuple[Action, ...]


def effective(setting: dict | None) -> dict:
    """The profile's layout (already merged down the org path) merged over the
    built-in one: what it hides is gone, what it repeats is replaced, what it
    adds comes after."""
    return merge_action_box(DEFAULT_LAYOUT, setting)


def tabs(layout: dict, language: str = "en", actions: dict[str, Action] | None = None) -> list[Tab]:
    """The tabs as the agent sees them, with their actions, in order. An installed
    plugin's action the layout names nowhere goes to its own default tab (its
    `tab`: added to the layout's tab of that id, else a tab of its own at the
    end), unless the layout hides the action or that tab."""
    actions = actions if actions is not None else all_actions(layout)
    hidden = set(layout.get("hidden", []))
    named = {a for tab in layout.get("tabs", []) for a in tab["actions"]}
    extra: dict[str, list[Action]] = {}
    for action in actions.values():
        if action.id in named or action.id in hidden or action.tab in hidden or is_builtin_or_link(action):
            continue
        extra.setdefault(action.tab, []).append(action)
    shown = []
    for tab in layout.get("tabs", []):
        found = []
        for action_id in tab["actions"]:
            action = actions.get(action_id)
            if action is None:
                log.warning("the Action Box layout names %r, which no installed action has", action_id)
                continue
            found.append(action)
        found += extra.pop(tab["id"], [])
        if found:
            shown.append(Tab(tab["id"], localized(tab["label"], language), tuple(found)))
    for tab_id, found in extra.items():
        label = getattr(found[0], "tab_label", None) or tab_id.replace("_", " ").capitalize()
        shown.append(Tab(tab_id, localized(label, language), tuple(found)))
    return shown


def check_layout(value: dict) -> dict:
    """A layout to store: its shape (as the profile checks it) and every action
    id known here; ValidationError otherwise."""
    layout = validate_setting("action_box", value)
    known = all_actions(effective(layout))
    unknown = sorted({a for tab in layout.get("tabs", []) for a in tab["actions"] if a not in known})
    if unknown:
        raise ValidationError(f"action_box: no installed action has the id(s) {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(known))})")
    from scripting.templates import check_template

    for template in layout.get("reply_templates", []):
        problems = check_template(template["body"], question_ids=None)
        if problems:
            raise ValidationError(f"action_box: reply template {template['id']!r}: {problems[0]}")
    for template in layout.get("email_templates", []):
        for part in ("subject", "body"):
            problems = check_template(template[part], question_ids=None)
            if problems:
                raise ValidationError(f"action_box: email template {template['id']!r} {part}: {problems[0]}")
    for link in layout.get("links", []):
        problems = check_template(link["url"], question_ids=None)
        if problems:
            raise ValidationError(f"action_box: link {link['id']!r}: {problems[0]}")
    return layout
