"""The built-in actions: service order, complaint, sales order, lead or
opportunity, callback, follow-up email, task for a colleague, and links to
external transactions. Each form opens filled from the verified context:
the confirmed partner and contact person, their address and numbers, the
installed base, and the call script's answers (a question `product` names
the product and so the installed-base item, `description` the problem,
`severity` the priority, `callback_date` the day to call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from crm.errors import ValidationError
from crm.work_types import COMPLAINT_CATEGORIES, PRIORITIES, OrderLine
from action_box.model import Context, Field, Outcome, localized


def _label(code: str) -> str:
    return code.replace("_", " ").capitalize()


PRIORITY_CHOICES = tuple((p, _label(p)) for p in PRIORITIES)
CATEGORY_CHOICES = tuple((c, _label(c)) for c in COMPLAINT_CATEGORIES)
# What a script's answer to a category question means as a complaint category.
SCRIPT_CATEGORIES = {"billing": "billing", "outage": "service_outage", "installation": "installation",
                     "product": "product_defect", "staff": "staff_behaviour"}
# What a script's answer to a severity question (the complaint intake's `severity`) means as a priority.
SCRIPT_PRIORITIES = {"low": "low", "medium": "normal", "normal": "normal", "high": "high",
                     "critical": "urgent", "urgent": "urgent"}


def _answer(context: Context, name: str) -> Any:
    value = context.answers.get(name)
    return value if value not in (None, "", []) else None


def _priority_from_script(context: Context) -> str:
    return SCRIPT_PRIORITIES.get(str(_answer(context, "severity") or "").lower(), "normal")


def _item_from_script(context: Context) -> str | None:
    """The installed-base item of the product the script's answer names, when
    the customer has exactly one of it (else the agent picks)."""
    wanted = str(_answer(context, "product") or "").strip().upper()
    if not wanted or context.partner is None:
        return None
    matches = [i for i, _label in context.partner.installed_base
               if context.partner.item_products.get(i, "").upper() == wanted]
    return str(matches[0]) if len(matches) == 1 else None


def _product_from_script(context: Context) -> str | None:
    wanted = _answer(context, "product")
    return wanted if wanted in {no for no, _ in context.products} else None


@dataclass(frozen=True)
class ServiceOrder:
    id: str = "service_order"
    label: str = "Service order"
    tab: str = "service"
    icon: str = "service"
    needs: frozenset = frozenset({"partner", "installed_base"})

    def fields(self, context: Context) -> list[Field]:
        items = context.partner.installed_base if context.partner else ()
        chosen = _item_from_script(context)
        return [
            Field("item", "Installed-base item", "choice", required=True,
                  choices=tuple((str(i), label) for i, label in items),
                  default=chosen or (str(items[0][0]) if len(items) == 1 else None)),
            Field("description", "Problem description", "multiline", required=True,
                  default=_answer(context, "description"), max_length=10_000),
            Field("priority", "Priority", "choice", required=True, choices=PRIORITY_CHOICES,
                  default=_priority_from_script(context)),
            Field("requested_date", "Requested date", "date", default=context.today + timedelta(days=1)),
        ]

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from crm.services import transactions  # run by the service; a desktop only shows forms

        order = transactions.create_service_order(
            session, actor, partner_id=context.partner.partner_id, item_id=int(values["item"]),
            description=values["description"], priority=values["priority"],
            requested_date=values.get("requested_date"), contact_person_id=_person(context),
            today=context.today)
        return Outcome.said("Service order {number}: {subject}", {"number": order.number, "subject": order.subject},
                            transaction_id=order.id, number=order.number)


@dataclass(frozen=True)
class Complaint:
    id: str = "complaint"
    label: str = "Complaint"
    tab: str = "service"
    icon: str = "complaint"
    needs: frozenset = frozenset({"partner"})

    def fields(self, context: Context) -> list[Field]:
        orders = context.partner.sales_orders if context.partner else ()
        return [
            Field("category", "Category", "choice", required=True, choices=CATEGORY_CHOICES,
                  default=SCRIPT_CATEGORIES.get(_answer(context, "category") or "")),
            Field("sales_order", "Sales order", "choice", choices=(("", "—"), *orders)),
            Field("product", "Product", "editable_choice", choices=(("", "—"), *context.products),
                  default=_product_from_script(context) or ""),
            Field("description", "Description", "multiline", required=True,
                  default=_answer(context, "description"), max_length=10_000),
            Field("priority", "Priority", "choice", required=True, choices=PRIORITY_CHOICES,
                  default=_priority_from_script(context)),
        ]

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from crm.services import transactions  # run by the service; a desktop only shows forms

        complaint = transactions.create_complaint(
            session, actor, partner_id=context.partner.partner_id, category=values["category"],
            description=values["description"], sales_order_no=values.get("sales_order") or None,
            product_no=values.get("product") or None, priority=values["priority"],
            contact_person_id=_person(context))
        return Outcome.said("Complaint {number}: {subject}", {"number": complaint.number, "subject": complaint.subject},
                            transaction_id=complaint.id, number=complaint.number)


@dataclass(frozen=True)
class SalesOrder:
    id: str = "sales_order"
    label: str = "Sales order"
    tab: str = "sales"
    icon: str = "order"
    needs: frozenset = frozenset({"partner"})

    def fields(self, context: Context) -> list[Field]:
        product = _product_from_script(context)
        return [
            Field("lines", "Products", "lines", required=True, choices=context.products,
                  default=[(product, 1)] if product else []),
            Field("delivery_address", "Delivery address", "multiline", required=True,
                  default=context.partner.address if context.partner else None, max_length=1000),
        ]

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from crm.services import transactions  # run by the service; a desktop only shows forms

        lines = [OrderLine(no, quantity) for no, quantity in values["lines"]]
        order = transactions.create_sales_order(
            session, actor, partner_id=context.partner.partner_id, lines=lines,
            delivery_address=values["delivery_address"], contact_person_id=_person(context))
        return Outcome.said("Sales order {number}: {amount} {currency}",
                            {"number": order.number, "amount": order.amount, "currency": order.currency},
                            transaction_id=order.id, number=order.number)


@dataclass(frozen=True)
class Lead:
    id: str = "lead"
    label: str = "Lead or opportunity"
    tab: str = "sales"
    icon: str = "lead"
    needs: frozenset = frozenset({"partner"})

    def fields(self, context: Context) -> list[Field]:
        product = _product_from_script(context)
        name = dict(context.products).get(product, "") if product else ""
        return [
            Field("kind", "Kind", "choice", required=True,
                  choices=(("lead", "Lead"), ("opportunity", "Opportunity")), default="lead"),
            Field("subject", "Subject", "text", required=True, default=name.split(" (")[0] or None,
                  max_length=200),
            Field("amount", "Expected value (CNY)", "number", minimum=0),
            Field("expected_close", "Expected closing date", "date"),
            Field("description", "Notes", "multiline", max_length=10_000),
        ]

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from crm.services import transactions  # run by the service; a desktop only shows forms

        lead = transactions.create_lead(
            session, actor, partner_id=context.partner.partner_id, kind=values["kind"],
            subject=values["subject"], description=values.get("description"), amount=values.get("amount"),
            expected_close=values.get("expected_close"), contact_person_id=_person(context), today=context.today)
        template = "Opportunity {number}: {subject}" if lead.kind == "opportunity" else "Lead {number}: {subject}"
        return Outcome.said(template, {"number": lead.number, "subject": lead.subject},
                            transaction_id=lead.id, number=lead.number)


@dataclass(frozen=True)
class Callback:
    id: str = "callback"
    label: str = "Callback"
    tab: str = "service"
    icon: str = "callback"
    needs: frozenset = frozenset({"partner"})

    def fields(self, context: Context) -> list[Field]:
        numbers = []
        if context.contact_person and context.contact_person.phone:
            numbers.append(context.contact_person.phone)
        if context.call and context.call.ani:
            numbers.append(context.call.ani)
        numbers += list(context.partner.phones if context.partner else ())
        numbers = list(dict.fromkeys(n for n in numbers if n))
        day = _answer(context, "callback_date")
        try:
            day = date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            day = None
        teams = tuple((f"team:{code}", f"{name} (team)") for code, name in context.agent.teams)
        return [
            Field("phone", "Number to call", "editable_choice", required=True,
                  choices=tuple((n, n) for n in numbers), default=numbers[0] if numbers else None, max_length=60),
            Field("day", "Day", "date", required=True, default=day or context.today + timedelta(days=1)),
            Field("from_time", "From", "time", required=True, default=time(10, 0)),
            Field("to_time", "Until", "time", required=True, default=time(12, 0)),
            Field("assign", "Who calls back", "choice", required=True,
                  choices=(("me", "Me"), *teams), default="me"),
            Field("note", "Note", "multiline", max_length=10_000),
        ]

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from crm.services import transactions  # run by the service; a desktop only shows forms

        day: date = values["day"]
        start = _local(datetime.combine(day, values["from_time"]))
        end = _local(datetime.combine(day, values["to_time"]))
        team = values["assign"][5:] if values["assign"].startswith("team:") else None
        callback = transactions.create_callback(
            session, actor, partner_id=context.partner.partner_id, phone=values["phone"], window_start=start,
            window_end=end, note=values.get("note"), to_team=team, contact_person_id=_person(context),
            now=_local(context.now) if context.now else None)
        return Outcome.said("Callback {number}: {phone} on {day} {start}-{end}",
                            {"number": callback.number, "phone": values["phone"], "day": day.isoformat(),
                             "start": f"{values['from_time']:%H:%M}", "end": f"{values['to_time']:%H:%M}"},
                            transaction_id=callback.id, number=callback.number)


@dataclass(frozen=True)
class FollowUpEmail:
    id: str = "email"
    label: str = "Follow-up email"
    tab: str = "follow_up"
    icon: str = "email"
    needs: frozenset = frozenset({"partner"})

    def unavailable(self, context: Context) -> str | None:
        if not (context.contact_person and context.contact_person.email) and not context.partner.emails:
            return "the customer has no email address"
        return None

    def fields(self, context: Context) -> list[Field]:
        templates = self.templates(context)
        first = templates[0] if templates else None
        subject, body = self.render(context, first) if first else ("", "")
        to = (context.contact_person.email if context.contact_person and context.contact_person.email
              else context.partner.emails[0] if context.partner and context.partner.emails else None)
        return [
            Field("template", "Template", "choice", choices=tuple((t["id"], localized(t["label"], context.language))
                                                               for t in templates),
                  default=first["id"] if first else None),
            Field("to", "To", "email", required=True, default=to, max_length=254),
            Field("subject", "Subject", "text", required=True, default=subject, max_length=250),
            Field("body", "Text", "multiline", required=True, default=body, max_length=200_000),
        ]

    def templates(self, context: Context) -> list[dict]:
        chosen = [t for t in context.email_templates if t.get("language") in (None, context.language)]
        return chosen or list(context.email_templates)

    def refill(self, context: Context, values: dict, changed: str) -> dict:
        """Choosing another template fills subject and text from it."""
        if changed != "template":
            return {}
        template = next((t for t in context.email_templates if t["id"] == values.get("template")), None)
        if template is None:
            return {}
        subject, body = self.render(context, template)
        return {"subject": subject, "body": body}

    @staticmethod
    def render(context: Context, template: dict) -> tuple[str, str]:
        from scripting.templates import make_context, render

        values = make_context(
            partner=context.partner.values if context.partner else None,
            contact_person=context.contact_person.values if context.contact_person else None,
            agent={"name": context.agent.name, "username": context.agent.username},
            call={"ani": context.call.ani, "dnis": context.call.dnis, "queue": context.call.queue}
            if context.call else None, answers=context.answers)
        subject = " ".join(render(template["subject"], values).text.split())
        return subject[:250], render(template["body"], values).text

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from crm.services import outbox  # run by the service; a desktop only shows forms

        email = outbox.queue_email(
            session, actor, sender=context.sender, to=values["to"], subject=values["subject"],
            body=values["body"], partner_id=context.partner.partner_id,
            contact_id=context.call.call_id if context.call else None)
        return Outcome.said("Email to {to}: {subject}", {"to": email.to_address, "subject": email.subject},
                            email_id=email.id)


@dataclass(frozen=True)
class Task:
    id: str = "task"
    label: str = "Task for a colleague"
    tab: str = "follow_up"
    icon: str = "task"
    needs: frozenset = frozenset({"partner"})

    def fields(self, context: Context) -> list[Field]:
        people = tuple((f"user:{u}", name) for u, name in context.agent.colleagues)
        teams = tuple((f"team:{code}", f"{name} (team)") for code, name in context.agent.teams)
        return [
            Field("assignee", "For", "choice", required=True, choices=people + teams),
            Field("subject", "Subject", "text", required=True, max_length=200),
            Field("description", "What to do", "multiline", max_length=10_000),
            Field("due_day", "Due", "date", default=context.today + timedelta(days=2)),
        ]

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from crm.services import transactions  # run by the service; a desktop only shows forms

        kind, _, who = values["assignee"].partition(":")
        due = _local(datetime.combine(values["due_day"], time(18))) if values.get("due_day") else None
        task = transactions.create_task(
            session, actor, partner_id=context.partner.partner_id, subject=values["subject"],
            assignee=who if kind == "user" else None, team=who if kind == "team" else None,
            description=values.get("description"), due=due, contact_person_id=_person(context),
            now=_local(context.now) if context.now else None)
        return Outcome.said("Task {number} for {who}: {subject}", {"number": task.number, "who": who,
                                                                "subject": task.subject},
                            transaction_id=task.id, number=task.number)


@dataclass(frozen=True)
class Link:
    """An external transaction: a URL made from a template with the context,
    opened in the browser (e.g. the customer's orders in the ERP)."""

    id: str
    label: str
    url: str
    needs: frozenset
    tab: str = "links"
    icon: str = "link"
    labels: dict | None = None  # by language, from the layout

    def fields(self, context: Context) -> list[Field]:
        return []

    def perform(self, session, actor, context: Context, values: dict) -> Outcome:
        from scripting.templates import make_context, render

        values = make_context(
            partner=context.partner.values if context.partner else None,
            contact_person=context.contact_person.values if context.contact_person else None,
            agent={"name": context.agent.name, "username": context.agent.username},
            call={"ani": context.call.ani, "dnis": context.call.dnis, "call_id": context.call.call_id}
            if context.call else None, answers=context.answers)
        shown = render(self.url, values)
        url = shown.text.strip()
        if shown.warnings:  # a value is missing: the address would be wrong
            raise ValidationError(f"the link cannot be made: {'; '.join(shown.warnings)}")
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValidationError(f"the link cannot be made: {url!r} is not a web address")
        return Outcome.said("Opened {link}", {"link": localized(self.labels or self.label, context.language)}, url=url)


BUILTIN = (ServiceOrder(), Complaint(), SalesOrder(), Lead(), Callback(), FollowUpEmail(), Task())


def _person(context: Context) -> int | None:
    return context.contact_person.partner_id if context.contact_person else None


def _local(moment: datetime) -> datetime:
    """A wall-clock time of the agent, as an aware datetime the CRM stores in UTC."""
    return moment if moment.tzinfo is not None else moment.astimezone()
