"""The program registry: each kind of program registers its parts here; shared code asks, never branches on a kind.

A `Program` row is one policy of one place (昌江区, 衢州市 ...); its `kind` names the rule set it follows, and
its numbers live in its `ProgramVersion` rows. Each kind is one package under `programs/` (an installed app)
whose `AppConfig.ready()` calls `register(KindSpec(...))`. The spec holds what differs between kinds:

- who may apply and what they fill in: the eligibility checklist, the application form, the profile fields its
  annex prints, what else submission needs, the annex PDFs and the one kept at submission;
- the application's life: which transitions of the one state machine (`applications/workflow.py`) belong to
  the kind, the role acting at each and its conditions, the steps the enterprise sees, whose queue each state
  joins;
- loans: the kind's registration rules, the bank upload kinds it takes;
- its features (risk compensation, interest subsidy, meetings, publicity, blacklist, banks on file ...), the
  roles it has, its menu entries, the citations its shared pages print.

A new district of an existing kind is rows only (Program, ProgramVersion, banks, users, lists); a new kind is
one package. This module imports no app: the parts are plain callables the packages hand over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# --- Features: what a kind runs besides applications and loans --------------------------------------------------


class Feature:
    """Names of optional parts; shared pages, menus and dashboards ask `has_feature(program, Feature.X)`."""

    MEETINGS = "meetings"  # a leading group recommends in meetings (Changjiang 第三条)
    PUBLICITY = "publicity"  # credit is publicized before it is granted (Changjiang 第八条)
    BLACKLIST = (
        "blacklist"  # the program keeps a blacklist and a priority-renewal list (Changjiang 第九条)
    )
    POST_LOAN_REPORTS = (
        "post_loan_reports"  # banks report post-loan management per quarter (Changjiang 第十条)
    )
    COMPENSATION = "compensation"  # risk compensation and clawback (Changjiang 第十一条)
    SUBSIDY = "subsidy"  # interest subsidy runs (Quzhou 四)
    BANK_FILING = "bank_filing"  # banks on file, approved jointly (Quzhou 一(三))
    FRAUD_RECORDS = "fraud_records"  # fraud bars from further participation (Quzhou 六)
    PROGRAM_LIST = (
        "program_list"  # the bureau's list of enterprises that may borrow (Quzhou 一(一))
    )
    LOAN_FORM = "loan_form"  # a bank reports a disbursement it approved on its own (Quzhou 二)
    LOAN_DOCUMENTS = (
        "loan_documents"  # the bank sends the application form and voucher per loan (Quzhou 二)
    )
    CREDIT_PLAN = "credit_plan"  # the office's annual credit plan per bank (Changjiang 第五条)
    JOINT_RECOVERY = "joint_recovery"  # recovery cases led by the bank (Changjiang 第七条)
    PROVINCIAL_REPORTS = "provincial_reports"  # the bureau's quarterly post-loan report to the province (Changjiang 第十条)


# --- The application's workflow of a kind ----------------------------------------------------------------------


Guard = Callable[[Any], bool]


@dataclass(frozen=True)
class Step:
    """A step of the kind's process as the enterprise sees it; `states` are those in which it is the current one."""

    label: Any
    states: tuple[str, ...]


@dataclass(frozen=True)
class TransitionSpec:
    """One transition of the state machine as the kind uses it: the role that takes it, and its conditions.

    The transition itself (source and target states) is declared once on `Application`; a kind lists the
    transitions it uses, and a transition missing from the list is not possible for that kind's applications.
    """

    name: str
    label: Any
    role: str
    guards: tuple[Guard, ...] = ()


@dataclass(frozen=True)
class WorkflowSpec:
    transitions: tuple[TransitionSpec, ...]
    submit: str  # the transition the enterprise's submission takes
    steps: tuple[Step, ...]  # the tracker the enterprise sees
    # State → the role whose queue the application joins there (it is notified at the hand-over).
    next_role: Mapping[str, str] = field(default_factory=dict)
    # Role → the states its queue holds (the state filter of the queue page offers exactly these).
    queues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # States in which the application's bank takes part (its users see and are told of it).
    bank_states: tuple[str, ...] = ()
    # States from which the enterprise may still withdraw.
    open_states: tuple[str, ...] = ()
    # The bank's own decision: the transitions of an approval and of a refusal (第一条 / 二).
    bank_decision: tuple[str, str] | None = None
    # (role, queryset of the role's queue states) → the queue narrowed by the kind (e.g. drafts awaiting sign-off).
    queue_filter: Callable[[str, Any], Any] | None = None
    # Transition name → what the history says was done (办理记录: "科技局经办人" + "受理"); the label otherwise.
    done: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> TransitionSpec | None:
        for t in self.transitions:
            if t.name == name:
                return t
        return None

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.transitions)

    def step_index(self, state: str) -> int | None:
        for n, step in enumerate(self.steps):
            if state in step.states:
                return n
        return None


@dataclass(frozen=True)
class Annex:
    """An official form of the kind, filled from the application's records.

    `build(application, actor=None) -> PDF bytes`; the actor, when given, is recorded as the one who printed the
    issued document first (kedaitong/verification.py, issue 21).
    """

    code: str
    title: str
    build: Callable[..., bytes]


@dataclass(frozen=True)
class Bar:
    """A record that bars an enterprise or a bank (a blacklist entry, a fraud record).

    `code` names the checklist rule it fails ("blacklist", "fraud"), `reason` is the short fact the
    checklist prints, `message` the whole refusal with its article (loan registration), in Chinese.
    """

    code: str
    reason: str
    message: str
    program_id: int | None = None  # the program whose record it is
    on_bank: bool = False  # the record bars the bank (Quzhou 六), not the enterprise


@dataclass(frozen=True)
class MenuEntry:
    """A menu entry the kind adds for `roles` (URL name reversed without arguments)."""

    url_name: str
    label: Any
    roles: frozenset[str]
    # user → the number shown beside it, or the queryset whose rows it counts (counted with the menu's others)
    count: Callable[[Any], Any] | None = None


# --- The spec -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindSpec:
    """Everything the shared apps need to know of one kind of program."""

    kind: str  # the value stored in Program.kind
    label: Any
    reference_prefix: str  # application references: CJ-…, QZ-…
    workflow: WorkflowSpec
    features: frozenset[str] = frozenset()
    # Roles beyond enterprise, bureau staff and head, bank and auditor that the kind has (e.g. leading group).
    roles: frozenset[str] = frozenset()
    # Key → the article a shared page cites for it (e.g. "blacklist" → "昌江细则第九条"); see `cite`.
    citations: Mapping[str, str] = field(default_factory=dict)
    # (enterprise facts, application facts or None) → the checklist (applications.eligibility.RuleResult list).
    checklist: Callable[[Any, Any], list[Any]] | None = None
    application_form: Any = None  # the ModelForm class of the application's own fields
    details_form: Any = (
        None  # the ModelForm of the kind's extra record (Quzhou 附件1 tables), or None
    )
    details_for: Callable[[Any], Any] | None = (
        None  # application → its extra record (created when missing)
    )
    # (application) → what the forms still lack for a submission (every problem, translated).
    form_problems: Callable[[Any], list[str]] | None = None
    # (enterprise, today) → the profile fields the kind's annex prints that are empty.
    profile_problems: Callable[[Any, Any], list[str]] | None = None
    annexes: tuple[Annex, ...] = ()
    submission_annex: str = ""  # the annex kept as PDF at submission
    # Template partials the application pages include: the review page's kind section, the detail page's facts.
    review_template: str = ""
    detail_template: str = ""
    # Loan registration: (version, enterprise, credit_code, bank, dates, principal, rate, lpr, application,
    # context) → problems in Chinese; shared checks (dates, duplicates, bars, LPR) are the loans app's.
    registration_problems: Callable[..., list[str]] | None = None
    # The kind's bars: (enterprise=None|Enterprise, bank=None|Bank, program=Program) → [Bar]; see `bars`.
    bars: Callable[..., list[Bar]] | None = None
    upload_kinds: frozenset[str] = (
        frozenset()
    )  # bank record uploads the kind takes (loans/importer kinds)
    menu: tuple[MenuEntry, ...] = ()
    # Dashboard chart builders (user, reports.dashboard.Filters → chart fields, or None) the kind adds.
    charts: tuple[Callable[[Any, Any], Any], ...] = ()
    # (loan=, days=, on=) → whether the kind proposed something for a loan over six months overdue (a blacklist
    # entry, Changjiang 第九条); called by the daily delinquency refresh inside a transaction.
    long_overdue: Callable[..., bool] | None = None
    # application → the credit the bank granted (the loan may not exceed it), or None before it is granted.
    granted_credit: Callable[[Any], Any] | None = None
    # Called once when a Program of this kind is created: the kind's reference rows (material list ...).
    setup_program: Callable[[Any], None] | None = None
    # (user, loan) → [(url, label)]: the kind's own pages about a loan, linked from the shared loan page
    # (its recovery case, a blacklist proposal ...).
    loan_links: Callable[[Any, Any], list[tuple[str, Any]]] | None = None

    def has(self, feature: str) -> bool:
        return feature in self.features

    def annex(self, code: str) -> Annex | None:
        for annex in self.annexes:
            if annex.code == code:
                return annex
        return None


# --- The registry ----------------------------------------------------------------------------------------------

_SPECS: dict[str, KindSpec] = {}


class UnknownKind(LookupError):
    pass


def register(spec: KindSpec) -> KindSpec:
    """Called by a kind's package when the apps are ready; registering a kind twice replaces it (autoreload)."""
    _SPECS[spec.kind] = spec
    return spec


def kinds() -> list[KindSpec]:
    return list(_SPECS.values())


def kind_choices() -> list[tuple[str, Any]]:
    """The choices of `Program.kind`: every registered kind."""
    return [(spec.kind, spec.label) for spec in _SPECS.values()]


def _kind_of(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    for path in ("kind", "program.kind", "program_version.program.kind"):
        value: Any = obj
        try:
            for part in path.split("."):
                value = getattr(value, part)
        except AttributeError:
            continue
        if isinstance(value, str):
            return value
    raise UnknownKind(repr(obj))


def spec(obj: Any) -> KindSpec:
    """The spec of a kind, a Program, a ProgramVersion, or anything with `program` / `program_version`."""
    kind = _kind_of(obj)
    try:
        return _SPECS[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def has_feature(obj: Any, feature: str) -> bool:
    """Whether the program (or its kind, version, application ...) runs `feature`; None has no feature."""
    if obj is None:
        return False
    try:
        return spec(obj).has(feature)
    except UnknownKind:
        return False


def loan_links(user: Any, loan: Any) -> list[tuple[str, Any]]:
    """The kind's own pages about `loan` that `user` may open ((url, label) pairs; none for a kind without)."""
    try:
        links = spec(loan).loan_links
    except UnknownKind:
        return []
    return links(user, loan) if links is not None else []


def kinds_with(feature: str) -> list[str]:
    return [s.kind for s in _SPECS.values() if s.has(feature)]


def cite(obj: Any, key: str, default: str = "") -> str:
    """The article the program's kind cites for `key` on shared pages ("" when it has none)."""
    try:
        return spec(obj).citations.get(key, default)
    except UnknownKind:
        return default


def bars(*, enterprise: Any = None, bank: Any = None, program: Any = None) -> list[Bar]:
    """Every kind's bars on `enterprise` / `bank` when taking part in `program` (blacklist, fraud records).

    All kinds are asked, since a kind's bar may reach beyond its own programs (Changjiang 第九条: 今后不得获得
    财政的支持, in any program); each kind decides how far its records reach (Quzhou 六 bars its own program).
    """
    found: list[Bar] = []
    for s in _SPECS.values():
        if s.bars is not None:
            found += s.bars(enterprise=enterprise, bank=bank, program=program)
    return found


def all_transition_names() -> set[str]:
    return {name for s in _SPECS.values() for name in s.workflow.names}


def iter_specs(features: Iterable[str] = ()) -> list[KindSpec]:
    wanted = set(features)
    return [s for s in _SPECS.values() if wanted <= s.features]
