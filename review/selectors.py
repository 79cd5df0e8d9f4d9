"""Reads of the review workflow: what other apps use (附件4's boxes, the granted credit) and what its pages share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Window
from django.utils import timezone
from django_fsm import Transition, get_available_user_FIELD_transitions
from django_stubs_ext import WithAnnotations

from applications.eligibility import presented
from applications.models import Application, Enterprise
from applications.scope import current_program
from applications.selectors import RuleResult, eligibility_at_submission, eligibility_now
from kedaitong import programs
from kedaitong.models import AuditEntry, User
from kedaitong.roles import Role
from review.models import BankDecision, BlacklistEntry, MeetingDecision, Opinion, PublicityEntry


@dataclass(frozen=True)
class OpinionBox:
    """One opinion box of Changjiang 附件4: the text, 经办人, 负责人 and the date."""

    text: str = ""
    handler: str = ""
    head: str = ""
    date: dt.date | None = None


@dataclass(frozen=True)
class Annex4Boxes:
    enterprise: OpinionBox = field(default_factory=OpinionBox)
    bank: OpinionBox = field(default_factory=OpinionBox)
    bureau: OpinionBox = field(default_factory=OpinionBox)
    group: OpinionBox = field(default_factory=OpinionBox)


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    from django.utils import timezone

    return timezone.localdate(moment) if moment else None


def current_round_opinions(application: Application) -> QuerySet[Opinion]:
    qs = Opinion.objects.filter(application=application)
    if application.submitted_at:
        qs = qs.filter(created_at__gte=application.submitted_at)
    return qs


def unsigned_bureau_draft(application: Application) -> Opinion | None:
    """The bureau opinion staff drafted in this round that the head has not signed yet (the latest one counts)."""
    return (
        current_round_opinions(application)
        .filter(kind=Opinion.Kind.BUREAU, signed_at__isnull=True)
        .select_related("handler")
        .order_by("-created_at", "-pk")
        .first()
    )


def signed_bureau_opinion(application: Application) -> Opinion | None:
    return (
        Opinion.objects.filter(
            application=application, kind=Opinion.Kind.BUREAU, signed_at__isnull=False
        )
        .select_related("handler", "head")
        .order_by("-signed_at", "-pk")
        .first()
    )


def latest_group_decision(application: Application) -> MeetingDecision | None:
    return (
        MeetingDecision.objects.filter(application=application)
        .select_related("meeting")
        .order_by("-meeting__date", "-pk")
        .first()
    )


def latest_bank_decision(application: Application) -> BankDecision | None:
    return (
        BankDecision.objects.filter(application=application)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
        .first()
    )


def publicity_entry(application: Application) -> PublicityEntry | None:
    return PublicityEntry.objects.filter(application=application).select_related("batch").first()


def annex4_boxes(application: Application) -> Annex4Boxes:
    """The four opinion boxes of 附件4 as the review has filled them so far (empty until it has)."""
    enterprise = application.enterprise
    boxes: dict[str, OpinionBox] = {}
    if application.submitted_at:
        boxes["enterprise"] = OpinionBox(
            text=f"申请“科贷通”贷款{application.amount}元。{application.purpose}".strip(),
            head=enterprise.legal_representative,
            date=_local_date(application.submitted_at),
        )
    bank = latest_bank_decision(application)
    if bank is not None:
        if bank.approved:
            text = f"同意授信{bank.credit_amount}元，年利率{bank.annual_rate}%，期限{bank.term_months}个月。{bank.opinion}"
        else:
            text = f"不同意授信。{bank.opinion}"
        boxes["bank"] = OpinionBox(
            text=text.strip(),
            handler=str(bank.decided_by),
            head=bank.head_name,
            date=_local_date(bank.decided_at),
        )
    bureau = signed_bureau_opinion(application)
    if bureau is not None:
        boxes["bureau"] = OpinionBox(
            text=bureau.text,
            handler=str(bureau.handler),
            head=str(bureau.head or ""),
            date=_local_date(bureau.signed_at),
        )
    group = latest_group_decision(application)
    if group is not None:
        if group.recommended:
            text = f"同意推荐，推荐金额{group.recommended_amount}元。{group.opinion}"
        else:
            text = f"不予推荐。{group.opinion}"
        boxes["group"] = OpinionBox(text=text.strip(), date=group.meeting.date)
    return Annex4Boxes(**boxes)


def granted_credit(application: Application) -> Decimal | None:
    """The credit the bank granted, as the application's kind defines it (Changjiang: after publicity, 第八条;
    Quzhou: the bank's 同意放贷意见书, 二); None before."""
    hook = programs.spec(application).granted_credit
    return hook(application) if hook is not None else None


# --- queues -------------------------------------------------------------------------------------

QUEUE_ROLES = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.BANK)


def queue_states(user: User) -> list[str]:
    """The states the user's queue holds in their current program (the queue page's state filter offers these)."""
    program = current_program(user)
    if program is None:
        return []
    return list(programs.spec(program).workflow.queues.get(user.effective_role, ()))


class EnteredState(TypedDict):
    entered: dt.datetime


def with_entered_state(
    qs: QuerySet[Application],
) -> QuerySet[WithAnnotations[Application, EnteredState]]:
    """Annotate `entered`: when each application entered its current state (the last transition into it).

    That is the stored `state_entered_at` (the latest audit row into the state, kept by applications.signals
    on every logged transition). An application never moved by a logged transition (imported, or the cast of
    the tests) counts from its submission. The queue's age and `review_overdue` both read this, so they agree.
    """
    from django.db.models.functions import Coalesce

    return qs.annotate(entered=Coalesce("state_entered_at", "submitted_at"))


def age_in_days(entered: dt.datetime | None, today: dt.date) -> int | None:
    from django.utils import timezone

    return (today - timezone.localdate(entered)).days if entered else None


def queue_key(user: User) -> tuple[Any, ...] | None:
    """Everything `queue_for(user)` is built from (None for an empty queue): the program and its kind's states and
    narrowing, the role, and what `visible_to` reads of a queue role (the user's own program; a bank's bank).
    Nothing in it is read from the database or the clock, so the same key builds the same query."""
    program = current_program(user)
    states = queue_states(user)
    if program is None or not states:
        return None
    narrow = programs.spec(program).workflow.queue_filter
    key: tuple[Any, ...] = (program.pk, program.kind, tuple(states), narrow, user.effective_role)
    return key + (user.program_id, user.bank_id)


# Each queue's queryset, built once a process for what it is made of (see `queue_for`): building it (the scope,
# the kind's narrowing with its two subqueries, the relations) cost a queue role's every page a tenth of its
# Python time, since the menu counts the queue. Unevaluated querysets, handed out as clones (`.all()`).
_QUEUES: dict[tuple[Any, ...], QuerySet[Any]] = {}
_QUEUES_LIMIT = 512  # distinct (program, role, bank) combinations kept; all are forgotten when full


def queue_for(user: User) -> QuerySet[Application]:
    """The applications waiting for `user`'s role in their current program, within their scope; empty otherwise.

    Which states wait for which role is the program's kind's (`WorkflowSpec.queues`), narrowed by the kind's
    `queue_filter` (Changjiang: staff see what waits for an opinion, the head what waits for a signature).
    Each row carries `entered` (see `with_entered_state`).
    """
    key = queue_key(user)
    if key is None:
        return with_entered_state(Application.objects.none())
    built = _QUEUES.get(key)
    if built is None:
        program = current_program(user)
        states, narrow = key[2], key[3]
        qs = Application.objects.visible_to(user).filter(
            program_version__program=program, state__in=states
        )
        if narrow is not None:
            qs = narrow(user.effective_role, qs)
        # publicity_entry__batch: a `publicity` row shows 公示中 or 待公示 by its batch (get_state_display).
        built = with_entered_state(qs).select_related(
            "enterprise", "bank", "publicity_entry__batch"
        )
        if len(_QUEUES) >= _QUEUES_LIMIT:
            _QUEUES.clear()
        _QUEUES[key] = built
    return built.all()


def queue_count(user: User) -> int:
    """How many applications wait in the user's queue; counted once a request (the menu and the queue page
    share it)."""
    # Per request: ProgramMiddleware gives the request's user an empty cache (applications.scope).
    known = known_queue_count(user)
    if known is not None:
        return int(known)
    count = 0
    if user.effective_role in QUEUE_ROLES:
        from kedaitong.db import count_many

        # Counted as the menu counts it, under the same key: its SQL compiled once a process.
        count = count_many([queue_for(user)], keys=[("review.queue", queue_key(user))])[0]
    remember_queue_count(user, count)
    return count


def remember_queue_count(user: User, count: int) -> None:
    """Keep the queue's count for the rest of the request (the menu counted it with its other counts)."""
    cache = getattr(user, "_scope_cache", None)
    if cache is not None:
        cache["queue_count"] = count


def known_queue_count(user: User) -> int | None:
    """The queue's count if this request has counted it already (else None: the menu counts it with its others)."""
    cache = getattr(user, "_scope_cache", None)
    return cache.get("queue_count") if cache is not None else None


def _counted_page(qs: QuerySet[Any], ids_qs: QuerySet[Any], size: int, number: Any) -> Page | None:
    """Page `number` of a filtered queue and the queue's count in one query (`COUNT(*) OVER ()` beside the
    page's ids): counted apart, the filters (a name search's list of enterprises among them) were read twice.
    None when the number (none: 1) is not a whole number from 1, or names no page (past the end, an empty queue):
    then the paginator counts and gets the page as it always does (the last page, page 1)."""
    try:
        wanted = 1 if number in (None, "") else int(number)
    except (TypeError, ValueError):
        return None
    if wanted < 1:
        return None
    start = (wanted - 1) * size
    found = list(
        qs.annotate(_total=Window(Count("pk"))).values_list("pk", "_total")[start : start + size]
    )
    if not found:
        return None
    page = _Counted(ids_qs, size, found[0][1]).page(wanted)
    page.object_list = [pk for pk, _total in found]
    return page


class _Counted(Paginator):
    """A paginator told its count (the queue's, counted once a request), so it does not count again."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def queue_page(
    qs: QuerySet[Any],
    size: int,
    number: Any,
    *,
    count: int | None = None,
    fields: Sequence[str] | None = None,
    rows_from: QuerySet[Any] | None = None,
) -> Page:
    """One page of a sorted queue in the same queries whatever its size and depth: the page's ids in order (only
    the sort's columns, from the queue's index where it has them), then the page's rows with their relations and
    annotations; `page.object_list` holds the rows in order. With `count` given (the menu's count of the whole
    queue) the ids are read alone; without it they are counted in the same query (`_counted_page`), and counted
    apart only for a page past the end.

    With `fields`, the rows are dicts of those values (and "pk"), not model instances: the queue page shows a
    dozen columns, and making an application with its enterprise, bank and publicity batch for each row was
    most of a long page's Python time.

    With `rows_from` (the queue `qs` was filtered from), the rows are read from it: the page's ids already met the
    filters, and a name search's filter, matched again for the rows, scanned every enterprise's name once more."""
    ids_qs = qs.values_list("pk", flat=True)
    page = _counted_page(qs, ids_qs, size, number) if count is None else None
    if page is None:
        paginator = Paginator(ids_qs, size) if count is None else _Counted(ids_qs, size, count)
        page = paginator.get_page(number)
    ids = list(page.object_list)
    rows: dict[Any, Any] = {}
    if ids:
        chosen = (qs if rows_from is None else rows_from).filter(pk__in=ids).order_by()
        if fields is None:
            rows = {row.pk: row for row in chosen}
        else:
            rows = {row["pk"]: row for row in chosen.values("pk", *fields)}
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


# What a queue page's row shows (`queue_page(fields=...)`); the annotations of `QUEUE_MARKS` are added where the
# program's queue has them (Changjiang's `queue_filter`).
QUEUE_FIELDS = (
    "public_id",
    "reference",
    "enterprise__name",
    "enterprise__credit_code",
    "bank__name",
    "amount",
    "state",
    "submitted_at",
    "entered",
    "publicity_entry__batch__start_date",
    "publicity_entry__batch__created_at",
)
QUEUE_MARKS = ("resubmitted", "pending_draft")


def queue_fields(qs: QuerySet[Any]) -> tuple[str, ...]:
    """`QUEUE_FIELDS` and those of `QUEUE_MARKS` that `qs` is annotated with."""
    return QUEUE_FIELDS + tuple(mark for mark in QUEUE_MARKS if mark in qs.query.annotations)


WAITING_STATES = [
    Application.State.SUBMITTED,
    Application.State.BUREAU_REVIEW,
    Application.State.GROUP_REVIEW,
    Application.State.BANK_REVIEW,
    Application.State.PUBLICITY,
    Application.State.CREDIT_GRANTED,
    Application.State.DISBURSED,
    Application.State.REPORTED,
    Application.State.CORRECTION_REQUESTED,
]


def waiting_longer_than(
    age: dt.timedelta, *, now: dt.datetime
) -> list[tuple[Application, dt.datetime]]:
    """Applications in a review state that entered it longer than `age` ago, oldest first."""
    before = now - age
    qs = (
        with_entered_state(Application.objects.filter(state__in=WAITING_STATES))
        # `entered` < before, spelled on the columns so that their indexes serve it.
        .filter(
            Q(state_entered_at__lt=before)
            | Q(state_entered_at__isnull=True, submitted_at__lt=before)
        )
        .select_related("enterprise")
        .order_by("entered", "pk")
    )
    return [(a, a.entered) for a in qs]


# --- review page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityLine:
    code: str
    article: str
    now: RuleResult | None
    then: RuleResult | None

    @property
    def changed(self) -> bool:
        return (self.now.status if self.now else None) != (self.then.status if self.then else None)


def eligibility_comparison(application: Application) -> list[EligibilityLine]:
    """Eligibility judged today beside the snapshot taken at submission, matched by rule code."""
    # 第六条(一): an alternative not needed shows 已满足其一 (`presented`), now and at submission alike.
    now = {r.code: r for r in presented(eligibility_now(application))}
    then = {r.code: r for r in presented(eligibility_at_submission(application) or [])}
    codes = list(now) + [code for code in then if code not in now]
    lines = []
    for code in codes:
        either = now.get(code) or then[code]
        lines.append(
            EligibilityLine(
                code=code, article=either.article, now=now.get(code), then=then.get(code)
            )
        )
    return lines


@dataclass(frozen=True)
class MaterialLine:
    """One material of the program's list (Changjiang 附件2) and the files the enterprise uploaded for it."""

    number: int
    name: str
    required: bool
    files: list[Any]
    supplied_by_bank: bool = False  # 附件2 第11项: the bank adds it at its review

    @property
    def missing(self) -> bool:
        return self.required and not self.files


def material_lines(application: Application) -> list[MaterialLine]:
    """Every material of the program in its order, uploaded or missing; two queries whatever the count."""
    from applications.models import Material, MaterialType

    uploaded: dict[int, list[Any]] = {}
    for material in Material.objects.filter(application=application).order_by("uploaded_at", "pk"):
        uploaded.setdefault(material.material_type_id, []).append(material)
    return [
        MaterialLine(
            number=t.number,
            name=t.name,
            required=t.required,
            files=uploaded.get(t.pk, []),
            supplied_by_bank=t.supplied_by_bank,
        )
        for t in MaterialType.objects.filter(
            program=application.program_version.program_id
        ).order_by("number")
    ]


ENTERPRISE_STEPS = ("submit", "submit_to_bank", "withdraw")  # taken on the enterprise's own pages


def available_transitions(application: Application, user: User) -> list[Transition]:
    """The review transitions `user` may take now: the kind's, right role, scope and state, conditions met."""
    return [
        t
        for t in get_available_user_FIELD_transitions(
            application, user, Application._meta.get_field("state")
        )
        if t.name not in ENTERPRISE_STEPS
    ]


def permitted_transitions(application: Application, user: User) -> list[Transition]:
    """The kind's review transitions from the current state whose role and scope fit `user`, conditions aside."""
    workflow = programs.spec(application).workflow
    field_ = Application._meta.get_field("state")
    found = []
    for t in field_.get_all_transitions(Application):
        sources = t.source if isinstance(t.source, list | tuple | set) else [t.source]
        if (
            t.name not in ENTERPRISE_STEPS
            and workflow.has(t.name)
            and application.state in sources
            and t.has_perm(application, user)
        ):
            found.append(t)
    return found


def priority_renewal(program: Any = None, on: dt.date | None = None) -> QuerySet[Enterprise]:
    """Changjiang 第九条: 诚信良好、按时履约的 enterprises of `program`, marked for priority renewal (优先续贷).

    On time = at least one repayment recorded on the program's loans, no overdue event and no
    overdue-period interest on any of its loans, no loan matured before `on` (today) without its
    principal repaid in full by the maturity date (a loan past maturity unpaid, or repaid late, is
    overdue: `loans.delinquency`), and not blacklisted. Without a program: every program's.
    """
    from django.db.models import DecimalField, F, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from kedaitong.db import MoneySum
    from loans.models import InterestSettlement, Loan, OverdueEvent, Repayment

    def of_program(qs: Any, path: str = "loan__program_version__program") -> Any:
        return qs if program is None else qs.filter(**{path: program})

    on = on or timezone.localdate()
    repaid_by_maturity = (
        Repayment.objects.filter(loan=OuterRef("pk"), repaid_on__lte=OuterRef("maturity_date"))
        .order_by()
        .values("loan")
        .annotate(s=MoneySum("principal"))
        .values("s")
    )
    late = (
        of_program(Loan.objects.filter(maturity_date__lt=on), "program_version__program")
        .annotate(
            repaid_in_time=Coalesce(
                Subquery(repaid_by_maturity, output_field=DecimalField()),
                Value(Decimal("0.00")),
            )
        )
        .filter(repaid_in_time__lt=F("principal"))
        .values("enterprise")
    )
    return (
        Enterprise.objects.filter(pk__in=of_program(Repayment.objects).values("loan__enterprise"))
        .exclude(pk__in=of_program(OverdueEvent.objects).values("loan__enterprise"))
        .exclude(
            pk__in=of_program(InterestSettlement.objects.filter(is_overdue_interest=True)).values(
                "loan__enterprise"
            )
        )
        .exclude(pk__in=late)
        .exclude(
            pk__in=BlacklistEntry.objects.filter(status=BlacklistEntry.Status.LISTED).values(
                "enterprise"
            )
        )
        .order_by("name")
    )


def history(application: Application) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.for_object(application).select_related("actor").order_by("at", "pk")


def last_change(application: Application) -> AuditEntry | None:
    from applications.lifecycle import last_change as last

    return last(application)


def transition_labels(application: Application) -> dict[str, Any]:
    """The button labels of the application's kind's transitions."""
    return {t.name: t.label for t in programs.spec(application).workflow.transitions}
