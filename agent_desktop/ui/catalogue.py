"""Texts the views translate from data (work modes, reason and outcome codes,
field names), listed here so that pyside6-lupdate finds them. Codes a
profile adds later are shown readable ("billing_question" as "billing
question") until a translator adds them to the catalogue."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

MODES = (
    QT_TRANSLATE_NOOP("modes", "Logged out"), QT_TRANSLATE_NOOP("modes", "Not ready"),
    QT_TRANSLATE_NOOP("modes", "Ready"), QT_TRANSLATE_NOOP("modes", "Offered"),
    QT_TRANSLATE_NOOP("modes", "In contact"), QT_TRANSLATE_NOOP("modes", "Wrap-up"),
)

CODES = (
    # reasons for the contact
    QT_TRANSLATE_NOOP("codes", "billing_question"), QT_TRANSLATE_NOOP("codes", "invoice_dispute"),
    QT_TRANSLATE_NOOP("codes", "technical_fault"), QT_TRANSLATE_NOOP("codes", "order_status"),
    QT_TRANSLATE_NOOP("codes", "new_contract"), QT_TRANSLATE_NOOP("codes", "upgrade"),
    QT_TRANSLATE_NOOP("codes", "cancellation"), QT_TRANSLATE_NOOP("codes", "address_change"),
    QT_TRANSLATE_NOOP("codes", "complaint"), QT_TRANSLATE_NOOP("codes", "general_inquiry"),
    # outcomes
    QT_TRANSLATE_NOOP("codes", "resolved"), QT_TRANSLATE_NOOP("codes", "follow_up"),
    QT_TRANSLATE_NOOP("codes", "escalated"), QT_TRANSLATE_NOOP("codes", "callback_scheduled"),
    QT_TRANSLATE_NOOP("codes", "order_created"), QT_TRANSLATE_NOOP("codes", "transferred"),
    QT_TRANSLATE_NOOP("codes", "not_interested"), QT_TRANSLATE_NOOP("codes", "no_answer"),
    # not-ready reasons
    QT_TRANSLATE_NOOP("codes", "break"), QT_TRANSLATE_NOOP("codes", "lunch"),
    QT_TRANSLATE_NOOP("codes", "meeting"), QT_TRANSLATE_NOOP("codes", "training"),
    QT_TRANSLATE_NOOP("codes", "after_call_work"), QT_TRANSLATE_NOOP("codes", "technical_problem"),
    QT_TRANSLATE_NOOP("codes", "login"), QT_TRANSLATE_NOOP("codes", "ring_no_answer"),
    # states of transactions and interaction records
    QT_TRANSLATE_NOOP("codes", "open"), QT_TRANSLATE_NOOP("codes", "in_process"),
    QT_TRANSLATE_NOOP("codes", "completed"), QT_TRANSLATE_NOOP("codes", "cancelled"),
    QT_TRANSLATE_NOOP("codes", "wrap_up"), QT_TRANSLATE_NOOP("codes", "closed"),
    # kinds of transactions
    QT_TRANSLATE_NOOP("codes", "service_order"), QT_TRANSLATE_NOOP("codes", "sales_order"),
    QT_TRANSLATE_NOOP("codes", "lead"), QT_TRANSLATE_NOOP("codes", "opportunity"),
    QT_TRANSLATE_NOOP("codes", "callback"), QT_TRANSLATE_NOOP("codes", "task"),
    # how a caller was identified
    QT_TRANSLATE_NOOP("codes", "phone"), QT_TRANSLATE_NOOP("codes", "phone digits"),
    QT_TRANSLATE_NOOP("codes", "email"), QT_TRANSLATE_NOOP("codes", "customer number"),
    QT_TRANSLATE_NOOP("codes", "agent"), QT_TRANSLATE_NOOP("codes", "new"),
)

FIELDS = (
    QT_TRANSLATE_NOOP("fields", "customer_no"), QT_TRANSLATE_NOOP("fields", "kind"),
    QT_TRANSLATE_NOOP("fields", "function"), QT_TRANSLATE_NOOP("fields", "valid_from"),
    QT_TRANSLATE_NOOP("fields", "valid_to"), QT_TRANSLATE_NOOP("fields", "number"),
    QT_TRANSLATE_NOOP("fields", "status"), QT_TRANSLATE_NOOP("fields", "subject"),
    QT_TRANSLATE_NOOP("fields", "priority"), QT_TRANSLATE_NOOP("fields", "category"),
    QT_TRANSLATE_NOOP("fields", "created_at"), QT_TRANSLATE_NOOP("fields", "due_at"),
    QT_TRANSLATE_NOOP("fields", "description"), QT_TRANSLATE_NOOP("fields", "amount"),
    QT_TRANSLATE_NOOP("fields", "product"), QT_TRANSLATE_NOOP("fields", "serial_no"),
    QT_TRANSLATE_NOOP("fields", "installed_on"), QT_TRANSLATE_NOOP("fields", "warranty_end"),
    QT_TRANSLATE_NOOP("fields", "started_at"), QT_TRANSLATE_NOOP("fields", "channel"),
    QT_TRANSLATE_NOOP("fields", "direction"), QT_TRANSLATE_NOOP("fields", "queue"),
    QT_TRANSLATE_NOOP("fields", "agent"), QT_TRANSLATE_NOOP("fields", "ani"),
    QT_TRANSLATE_NOOP("fields", "dnis"), QT_TRANSLATE_NOOP("fields", "wait_seconds"),
    QT_TRANSLATE_NOOP("fields", "talk_seconds"), QT_TRANSLATE_NOOP("fields", "hold_seconds"),
    QT_TRANSLATE_NOOP("fields", "wrapup_seconds"), QT_TRANSLATE_NOOP("fields", "reason_code"),
    QT_TRANSLATE_NOOP("fields", "outcome_code"), QT_TRANSLATE_NOOP("fields", "notes"),
)

HISTORY = (  # agent_desktop.ui.history_page translates these through a helper
    QT_TRANSLATE_NOOP("HistoryModel", "Phone"), QT_TRANSLATE_NOOP("HistoryModel", "Email"),
    QT_TRANSLATE_NOOP("HistoryModel", "Chat"), QT_TRANSLATE_NOOP("HistoryModel", "Inbound"),
    QT_TRANSLATE_NOOP("HistoryModel", "Outbound"), QT_TRANSLATE_NOOP("HistoryModel", "Date/time"),
    QT_TRANSLATE_NOOP("HistoryModel", "Channel"), QT_TRANSLATE_NOOP("HistoryModel", "Direction"),
    QT_TRANSLATE_NOOP("HistoryModel", "Queue"), QT_TRANSLATE_NOOP("HistoryModel", "Agent"),
    QT_TRANSLATE_NOOP("HistoryModel", "Subject"), QT_TRANSLATE_NOOP("HistoryModel", "Reason"),
    QT_TRANSLATE_NOOP("HistoryModel", "Outcome"), QT_TRANSLATE_NOOP("HistoryModel", "Talk time"),
)

ACTIONS = (  # agent_desktop.ui.action_page translates these (context "actions")
    # the built-in actions
    QT_TRANSLATE_NOOP("actions", "Service order"), QT_TRANSLATE_NOOP("actions", "Complaint"),
    QT_TRANSLATE_NOOP("actions", "Sales order"), QT_TRANSLATE_NOOP("actions", "Lead or opportunity"),
    QT_TRANSLATE_NOOP("actions", "Callback"), QT_TRANSLATE_NOOP("actions", "Follow-up email"),
    QT_TRANSLATE_NOOP("actions", "Task for a colleague"),
    # their fields
    QT_TRANSLATE_NOOP("actions", "Installed-base item"), QT_TRANSLATE_NOOP("actions", "Problem description"),
    QT_TRANSLATE_NOOP("actions", "Priority"), QT_TRANSLATE_NOOP("actions", "Requested date"),
    QT_TRANSLATE_NOOP("actions", "Category"), QT_TRANSLATE_NOOP("actions", "Product"),
    QT_TRANSLATE_NOOP("actions", "Description"), QT_TRANSLATE_NOOP("actions", "Products"),
    QT_TRANSLATE_NOOP("actions", "Delivery address"), QT_TRANSLATE_NOOP("actions", "Kind"),
    QT_TRANSLATE_NOOP("actions", "Subject"), QT_TRANSLATE_NOOP("actions", "Expected value (CNY)"),
    QT_TRANSLATE_NOOP("actions", "Expected closing date"), QT_TRANSLATE_NOOP("actions", "Notes"),
    QT_TRANSLATE_NOOP("actions", "Number to call"), QT_TRANSLATE_NOOP("actions", "Day"),
    QT_TRANSLATE_NOOP("actions", "From"), QT_TRANSLATE_NOOP("actions", "Until"),
    QT_TRANSLATE_NOOP("actions", "To"),
    QT_TRANSLATE_NOOP("actions", "Who calls back"), QT_TRANSLATE_NOOP("actions", "Note"),
    QT_TRANSLATE_NOOP("actions", "Template"), QT_TRANSLATE_NOOP("actions", "Text"),
    QT_TRANSLATE_NOOP("actions", "For"), QT_TRANSLATE_NOOP("actions", "What to do"),
    QT_TRANSLATE_NOOP("actions", "Due"), QT_TRANSLATE_NOOP("actions", "Quantity"),
    QT_TRANSLATE_NOOP("actions", "Add product"), QT_TRANSLATE_NOOP("actions", "Remove"),
    # their choices
    QT_TRANSLATE_NOOP("actions", "Low"), QT_TRANSLATE_NOOP("actions", "Normal"),
    QT_TRANSLATE_NOOP("actions", "High"), QT_TRANSLATE_NOOP("actions", "Urgent"),
    QT_TRANSLATE_NOOP("actions", "Billing"), QT_TRANSLATE_NOOP("actions", "Service outage"),
    QT_TRANSLATE_NOOP("actions", "Installation"), QT_TRANSLATE_NOOP("actions", "Product defect"),
    QT_TRANSLATE_NOOP("actions", "Delivery"), QT_TRANSLATE_NOOP("actions", "Staff behaviour"),
    QT_TRANSLATE_NOOP("actions", "Contract"), QT_TRANSLATE_NOOP("actions", "Other"),
    QT_TRANSLATE_NOOP("actions", "Lead"), QT_TRANSLATE_NOOP("actions", "Opportunity"),
    QT_TRANSLATE_NOOP("actions", "Me"),
    # why an action is disabled
    QT_TRANSLATE_NOOP("actions", "confirm the caller first"),
    QT_TRANSLATE_NOOP("actions", "pick a contact person first"),
    QT_TRANSLATE_NOOP("actions", "only during a call"),
    QT_TRANSLATE_NOOP("actions", "the customer has no installed base"),
    QT_TRANSLATE_NOOP("actions", "the customer has no email address"),
)

# What an Action Box action did, in the interaction's "Done" list
# (action_box.model.Outcome.said templates).
ACTION_OUTCOMES = (
    QT_TRANSLATE_NOOP("outcomes", "Service order {number}: {subject}"),
    QT_TRANSLATE_NOOP("outcomes", "Complaint {number}: {subject}"),
    QT_TRANSLATE_NOOP("outcomes", "Sales order {number}: {amount} {currency}"),
    QT_TRANSLATE_NOOP("outcomes", "Lead {number}: {subject}"),
    QT_TRANSLATE_NOOP("outcomes", "Opportunity {number}: {subject}"),
    QT_TRANSLATE_NOOP("outcomes", "Callback {number}: {phone} on {day} {start}-{end}"),
    QT_TRANSLATE_NOOP("outcomes", "Email to {to}: {subject}"),
    QT_TRANSLATE_NOOP("outcomes", "Task {number} for {who}: {subject}"),
    QT_TRANSLATE_NOOP("outcomes", "Opened {link}"),
)


def tr_outcome(done: dict) -> str:
    """An entry of the Done list in the agent's language; the English summary when
    the action gave no template or the translation does not fit its values."""
    template = done.get("template")
    if not template:
        return done.get("summary", "")
    try:
        return QCoreApplication.translate("outcomes", template).format(**done.get("params", {}))
    except (KeyError, IndexError, ValueError):
        return done.get("summary", "")
