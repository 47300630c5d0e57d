"""The report pages' words: each figure's name and formula (the formula is the docstring of its
definition in crm/reports/definitions.py, written once), the contact detail's columns, and the
report module's refusals in the supervisor's language."""

from __future__ import annotations

import re
from collections.abc import Callable

from crm.reports import definitions as d
from crm.reports.agent_performance import callback_kept
from crm.reports.definitions import ServiceLevelVariant
from crm.reports.queue_report import COUNTS

COUNTS_LINKED = tuple(COUNTS)  # the counts whose contacts a click opens

# The queue report's columns on the page: (row field, header, its definition).
FIGURES: tuple[tuple[str, str, Callable], ...] = (
    ("entered", "Entered", d.entered),
    ("answered", "Answered", d.answered),
    ("abandoned", "Abandoned", d.abandoned),
    ("short_abandons", "Short abandons", d.short_abandons),
    ("left_otherwise", "Left otherwise", d.left_otherwise),
    ("overflowed", "Overflowed", d.overflowed),
    ("answered_within", "Answered within T", d.answered_within),
    ("asa", "ASA (s)", d.asa),
    ("longest_wait", "Longest wait (s)", d.longest_wait),
    ("service_level", "Service level", d.service_level),
    ("service_level_answered_only", "Service level, answered only", d.service_level_answered_only),
    ("abandonment_rate", "Abandonment rate", d.abandonment_rate),
    ("handled", "Handled", d.handled),
    ("aht", "AHT (s)", d.aht),
    ("transfers", "Transfers", d.transfers),
)
RATIOS = {"service_level", "service_level_answered_only", "abandonment_rate"}
SECONDS = {"asa", "longest_wait", "aht"}
VARIANT_DEFINITIONS: dict[ServiceLevelVariant, Callable] = {
    ServiceLevelVariant.ABANDONS_AGAINST: d.service_level_abandons_against,
    ServiceLevelVariant.ABANDONS_WITHIN_IGNORED: d.service_level_abandons_within_ignored,
    ServiceLevelVariant.ABANDONS_WITHIN_FOR: d.service_level_abandons_within_for,
}


def formula(definition: Callable) -> str:
    """A definition's formula: the first paragraph of its docstring, on one line."""
    return " ".join((definition.__doc__ or "").split("\n\n")[0].split())


def formulas() -> list[str]:
    """Every formula the page shows (the service level's in each variant)."""
    return [formula(one) for _, _, one in FIGURES if one is not d.service_level] + [
        formula(one) for one in VARIANT_DEFINITIONS.values()]


CONTACT_COLUMNS = {
    "queue": "Queue", "contact_id": "Contact", "channel": "Channel", "entered_at": "Entered at",
    "outcome": "Outcome", "left_by": "Wait ended by", "wait": "Wait (s)", "offered_at": "First offered at",
    "offers": "Offers", "not_answered": "Offers not answered", "agent": "Agent", "answered_at": "Answered at",
    "left_at": "Left at", "ended_at": "Ended at", "ended_by": "Ended by", "cause": "Cause", "holds": "Holds",
    "talk": "Talk (s)", "wrap_up": "Wrap-up (s)", "handle": "Handle time (s)", "transferred": "Transferred",
    "target": "Transferred or overflowed to",
}
OUTCOMES = {"waiting": "Waiting", "answered": "Answered", "abandoned": "Abandoned", "left": "Left otherwise"}
# the codes of the contact detail shown in words: the step that ended the wait, who ended the call
CODES = {"left_by": {"answered": "Answered", "abandoned": "Abandoned", "overflowed": "Overflowed",
                     "ended": "Ended unanswered"},
         "ended_by": {"customer": "The customer", "agent": "The agent", "system": "The system"},
         "channel": {"phone": "Phone"}}
OUTCOMES_CHART = {"answered": "Answered", "abandoned": "Abandoned", "left_otherwise": "Left otherwise"}
INTERVALS = {"15min": "15 minutes", "30min": "30 minutes", "60min": "60 minutes", "day": "Day", "week": "Week",
             "month": "Month"}
# The report module's messages (crm.reports.queue_report, crm.services.supervisor_actions), read
# back into the supervisor's words: (pattern of the English message, text with its values).
REFUSALS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(pattern), text) for pattern, text in (
    (r"the report's range ends \((?P<end>[^)]*)\) before it starts \((?P<start>[^)]*)\)",
     "The range ends before it starts: choose a last day on or after the first."),
    (r"a report by (?P<interval>\S+) covers at most (?P<most>\d+) days; this range has (?P<days>\d+)",
     "A report by {interval} covers at most {most} days; this range has {days}: choose a longer interval or "
     "a shorter range."),
    (r"There is no queue '(?P<queue>.*)' in the configuration or the event log\.",
     "There is no queue {queue} in the configuration or the event log."),
    (r"The queue (?P<queue>.*) is not one of (?P<user>\S+)'s", "The queue {queue} is not one of yours: it "
     "belongs to none of your org units, nor did an agent of yours work in it in this range."),
    (r"There is no org unit '(?P<team>.*)'\.", "There is no team {team}."),
    (r"The org unit (?P<team>.*) is not one of (?P<user>\S+)'s\.", "The team {team} is not one of yours."),
    (r"There is no agent '(?P<agent>.*)'\.", "There is no agent {agent}."),
    (r"(?P<agent>\S+) is not in (?P<user>\S+)'s org units\.", "The agent {agent} is not in your org units."),
    (r"may not read queue reports", "Your role may not read queue reports."),
    (r"may not read agent reports", "Your role may not read agent reports."),
    (r"the agent time report is not per queue", "The agent time report is not per queue: choose a team or agents."),
    (r"name the agent whose day to show", "Name the agent whose day to show."),
    (r"the agent performance report is not per queue",
     "The agent performance report is not per queue: choose a team or agents."),
    (r"There is no email or chat queue '(?P<queue>.*)' in the configuration or the event log\.",
     "There is no email or chat queue {queue} in the configuration or the event log."),
    (r"the email and chat report has no phone channel",
     "The email and chat report has no phone channel: the queue report has the calls."),
    (r"unknown channel '(?P<channel>.*)'", "Unknown channel {channel}: choose email, chat or both."),
))


def refusal(message: str, translate: Callable[[str], str]) -> str:
    """The module's message in the supervisor's language (as it is, if it is not a known one)."""
    for pattern, text in REFUSALS:
        found = pattern.search(message)
        if found:
            values = found.groupdict()
            if "interval" in values:
                values["interval"] = translate(INTERVALS.get(values["interval"], values["interval"]))
            return translate(text).format(**values)
    return message


# The agent time report's columns (crm/reports/agent_time.py's rows): (name, header, what the
# hover says). A state is measured from the work modes; the figures made of states are
# definitions (crm/reports/definitions.py), their docstrings the formulas.
AGENT_FIGURES: tuple[tuple[str, str, Callable | str], ...] = (
    ("logged_in", "Logged in", d.logged_in_time),
    ("ready", "Ready", "Ready: waiting for a contact (work mode ready)."),
    ("offered", "Offered", "Offered: a call ringing on his phone, not answered yet."),
    ("talk", "Talk", "Talk: on a call, the customer not on hold."),
    ("hold", "Hold", "Hold: on a call, the customer on hold (also during a consult)."),
    ("wrap_up", "Wrap-up", "Wrap-up: after a call, finishing its work."),
    ("not_ready", "Not ready", "Not ready: logged in but taking no contact, per reason code."),
    ("handling", "Handling", d.handling_time),
    ("occupancy", "Occupancy", d.occupancy),
    ("utilization", "Utilization", d.utilization),
    ("email_chat", "Email and chat open",
     "Email and chat open: the time with at least one email or chat conversation open (not a part of logged in)."),
)
AGENT_RATIOS = {"occupancy", "utilization"}
STATES_CHART = ("ready", "offered", "talk", "hold", "wrap_up", "not_ready")
LEVELS = {"agent": "Agent", "team": "Team", "site": "Site", "contact_center": "Contact center"}
# the timeline's states (crm.reports.agent_time.Segment.state) and an email's or chat's
SEGMENT_STATES = {"ready": "Ready", "offered": "Offered", "talk": "Talk", "hold": "Hold", "wrap_up": "Wrap-up",
                  "not_ready": "Not ready", "email": "Email", "chat": "Chat"}


AGENT_PAGE_TEXTS = ["none", "Not ready with the reason code {reason}.", "Hours", "Phone", "Email and chat",
                    "Back to the agent time report"]


def agent_formula(explained: Callable | str) -> str:
    return explained if isinstance(explained, str) else formula(explained)


# The agent performance report's columns (crm/reports/agent_performance.py's records): (name,
# header, its definition or what the hover says); a column per reason and outcome code after them.
PERFORMANCE_FIGURES: tuple[tuple[str, str, Callable | str], ...] = (
    ("phone_handled", "Calls handled", d.handled),
    ("phone_aht", "Call AHT (s)", d.aht),
    ("email_handled", "Emails handled", d.mail_handled),
    ("email_aht", "Email AHT (s)", d.mail_aht),
    ("chat_handled", "Chats handled", d.mail_handled),
    ("chat_aht", "Chat AHT (s)", d.mail_aht),
    ("holds", "Holds", "Holds: the times he put the customer of a call he answered on hold."),
    ("transfers", "Transfers", "Transfers: the calls he answered and transferred, and the emails and chats he "
                               "transferred."),
    ("callbacks_scheduled", "Callbacks scheduled", "Callbacks scheduled: the callbacks he created in the interval."),
    ("callbacks_kept", "Callbacks kept", callback_kept),
)
PERFORMANCE_SECONDS = {"phone_aht", "email_aht", "chat_aht"}
CODE_COLUMNS = {"reason": ("Reason", "Interaction records with the reason code {code}."),
                "outcome": ("Outcome", "Interaction records with the outcome code {code}.")}
HANDLED_CHART = {"phone_handled": "Calls", "email_handled": "Emails", "chat_handled": "Chats"}

# The email and chat report's columns (crm.reports.definitions.MailFigures): (name, header, definition).
MAIL_FIGURES: tuple[tuple[str, str, Callable], ...] = (
    ("entered", "Entered", d.mail_entered),
    ("answered", "Answered", d.mail_answered),
    ("abandoned", "Abandoned", d.mail_abandoned),
    ("short_abandons", "Short abandons", d.mail_short_abandons),
    ("first_replies", "First replies", d.first_replied),
    ("first_response_time", "First response time (s)", d.first_response_time),
    ("replied_within_due", "Replied within due time", d.replied_within_due),
    ("share_within_due", "Share within due time", d.share_within_due),
    ("resolved", "Resolved", d.resolved),
    ("resolution_time", "Resolution time (s)", d.resolution_time),
    ("reopened", "Reopened", d.reopened),
)
MAIL_RATIOS = {"share_within_due"}
MAIL_SECONDS = {"first_response_time", "resolution_time"}
CHANNELS = {"email": "Email", "chat": "Chat"}
MORE_PAGE_TEXTS = ["Agent performance", "Email and chat report", "Contacts handled", "Channel", "Email and chat",
                   "Due time (s)", "Back to the agent performance report", "Back to the email and chat report"]


PAGE_TEXTS = [
    "Yes", "Service level",
    "Not a day: {value}. Write it as 2026-03-29.", "Unknown interval: {value}.",
    "Unknown figure: {value}.", "Not a time: {value}.",
    "The report cannot be made: the CRM database cannot be reached or is not migrated to the event log.",
]
TEXTS = [*(header for _, header, _ in FIGURES), *formulas(),
         *(header for _, header, _ in AGENT_FIGURES), *(agent_formula(one) for _, _, one in AGENT_FIGURES),
         *LEVELS.values(), *SEGMENT_STATES.values(), *AGENT_PAGE_TEXTS, *CONTACT_COLUMNS.values(), *OUTCOMES.values(),
         *(text for words in CODES.values() for text in words.values()),
         *INTERVALS.values(), *(text for _, text in REFUSALS),
         *(header for _, header, _ in PERFORMANCE_FIGURES), *(agent_formula(one) for _, _, one in PERFORMANCE_FIGURES),
         *(text for pair in CODE_COLUMNS.values() for text in pair), *HANDLED_CHART.values(),
         *(header for _, header, _ in MAIL_FIGURES), *(formula(one) for _, _, one in MAIL_FIGURES),
         *CHANNELS.values(), *MORE_PAGE_TEXTS, *PAGE_TEXTS]
