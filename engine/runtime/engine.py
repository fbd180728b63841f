"""The Engine facade: publish versions, create orders, fire triggers, read them, run timers, migrate.

One object over injected parts (store, plugin registry, clock), each call one transaction. The work is
done by a module per concern, which the facade only hands the call to:

- ``publishing``: versions stored, compiled first;
- ``commands``: an order created, a trigger fired (``decisions`` picks the transition and says why not);
- ``queries``: what the CLI and the tests read, a call each;
- ``pages``: what one page shows, in one call and one transaction, the order read once;
- ``workers``: the due timers fired, the outbox handed to its sender;
- ``migration``: orders moved onto another published version;
- ``search_index``: the search terms of orders built again from their versions' ``search:``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.dsl.compiler import Bundle
from engine.dsl.spec import WorkflowSpec
from engine.plugins import PluginRegistry
from engine.randomness import Randomness, SystemRandomness
from engine.runtime import outbox as _outbox
from engine.runtime.actor import SYSTEM, Actor
from engine.runtime.approvals import (
    ApprovalAction,
    ApprovalPanel,
    ApprovalRequest,
    ApprovalResult,
    Approvals,
    OpenTask,
)
from engine.runtime.batch import Assigned, Batch, BatchOutcome, BatchPage, Selected, SelectedTask, Signed
from engine.runtime.commands import Commands, Intake, RecordStepRequest, StepRequest
from engine.runtime.finding import ListQuery
from engine.runtime.migration import Migrations, Recorder
from engine.runtime.outbox import DispatchReport, OutboxMessage, RetryPolicy
from engine.runtime.pages import Pages, Submission
from engine.runtime.parts import Parts, Versions
from engine.runtime.publishing import Publisher
from engine.runtime.queries import Queries
from engine.runtime.results import (
    AuditEvent,
    FireResult,
    IntakeOriginal,
    IntakePage,
    MigrationPlan,
    NewOrders,
    OrderList,
    OrderPage,
    OrderView,
    PublishedForm,
    PublishedVersion,
    RecordView,
    StepPage,
    StepTaken,
    TimerReport,
    TriggerInfo,
    WorkflowCounts,
)
from engine.runtime.search_index import REINDEX_CHUNK, Reindexed, SearchIndex
from engine.runtime.workers import Workers
from engine.runtime.workspace import (
    AssignPage,
    ClaimFilter,
    ClaimView,
    MyWork,
    QueuePage,
    WorkCursor,
    Workspace,
)
from engine.store import DEFAULT_LEASE, OutboxStatus, Store, Tx
from engine.store.reports import fold_order_counts
from engine.store.versions import VersionMeta


class Engine:
    def __init__(
        self,
        store: Store,
        registry: PluginRegistry,
        clock: Clock,
        *,
        lease: timedelta = DEFAULT_LEASE,
        outbox_retry: RetryPolicy | None = None,
        randomness: Randomness | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.lease = lease  # how long a worker's claim on a timer or outbox message holds
        self.outbox_retry = outbox_retry or RetryPolicy()  # back-off and dead letters of the outbox
        # what code() in a step's ``set:`` draws from (a seeded source repeats a run's codes)
        self.randomness = randomness or SystemRandomness()
        self.parts = Parts(store, registry, clock, Versions(registry), self.randomness)
        self.publisher = Publisher(self.parts)
        self.commands = Commands(self.parts)
        self.queries = Queries(self.parts)
        self.approvals = Approvals(self.parts, self.commands)
        self.workers = Workers(self.parts, self.commands, self.approvals)
        self.migrations = Migrations(self.parts)
        self.pages = Pages(self.parts, self.commands)
        self.workspace = Workspace(self.parts)
        self.search_index = SearchIndex(self.parts)
        self.batch = Batch(self.parts, self.commands, self.workspace, self.approvals)

    # -- versions ------------------------------------------------------------------------------

    def publish(
        self, bundle: Bundle, actor: Actor | None = None, meta: VersionMeta | None = None
    ) -> PublishedVersion:
        """Store ``bundle`` as the next version of its workflow (with ``meta``: the note, who drafted
        and approved it, its files' texts); the content of the newest version returns that version.

        The stored document is ``Bundle.to_json()`` as JSON (an object, not a string), and it is
        compiled from that document here exactly as it will be when read back.
        """
        return self.publisher.publish(bundle, actor, meta)

    def publish_together(
        self,
        items: Sequence[tuple[Bundle, VersionMeta | None]],
        actor: Actor | None,
        then: Callable[[Tx, list[PublishedVersion]], None],
    ) -> list[PublishedVersion]:
        """Several bundles published in one transaction with what ``then`` writes in it
        (``Publisher.publish_together``): all of it, or none."""
        return self.publisher.publish_together(items, actor, then)

    def versions(self, workflow: str) -> list[PublishedVersion]:
        return self.queries.versions(workflow)

    def spec(self, workflow: str, version: int | None = None) -> WorkflowSpec:
        return self.queries.spec(workflow, version)

    # -- orders --------------------------------------------------------------------------------

    def create_order(
        self,
        actor: Actor,
        department: str,
        workflow: str,
        channel: str | None = None,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> OrderView:
        """A new order of ``workflow`` in ``department`` from ``channel``, in one transaction: its
        intake checked, its automatic steps taken. The same ``idempotency_key`` answers with the order
        it created."""
        intake = Intake(actor, department, workflow, channel, dict(data or {}), idempotency_key)
        return self.commands.create_order(intake)

    def fire(
        self,
        order_id: int,
        trigger: str,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        *,
        expected_lock_version: int | None = None,
        reason: str | None = None,
    ) -> FireResult:
        """Fire ``trigger`` on the order in one transaction (see the module docstring).

        ``expected_lock_version``: the version the caller last saw; a different one is a ConflictError.
        Data holding NaN, an infinity or a lone surrogate is refused (code ``form``) before anything is
        written.
        """
        request = StepRequest(order_id, trigger, actor, data or {}, expected_lock_version, reason)
        return self.commands.fire(request, idempotency_key)

    def fire_record(
        self,
        order_id: int,
        kind: str,
        number: int,
        trigger: str,
        actor: Actor,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        *,
        expected_lock_version: int | None = None,
    ) -> FireResult:
        """Fire ``trigger`` on the order's record ``number`` of ``kind`` (a payment's ``refund``) in one
        transaction, then the order's automatic transitions its records now allow. The result's
        ``trigger`` is ``<kind>.<trigger>``, as the audit trail names it."""
        request = RecordStepRequest(order_id, kind, number, trigger, actor, data or {}, expected_lock_version)
        return self.commands.fire_record(request, idempotency_key)

    # -- reading -------------------------------------------------------------------------------

    def records(self, order_id: int, actor: Actor) -> list[RecordView]:
        """The order's child records (payments, shipments), each with its state and the steps ``actor``
        may take on it."""
        return self.queries.records(order_id, actor)

    def get_order(self, order_id: int, actor: Actor) -> OrderView:
        return self.queries.get_order(order_id, actor)

    def list_orders(
        self,
        actor: Actor,
        department: str | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
        workflow: str | None = None,
    ) -> list[OrderView]:
        return self.queries.list_orders(actor, department, state, limit, offset, workflow)

    def history(self, order_id: int, actor: Actor) -> list[AuditEvent]:
        return self.queries.history(order_id, actor)

    # -- approvals (engine/runtime/approvals.py) -------------------------------------------------

    def approval(self, order_id: int, actor: Actor) -> ApprovalPanel | None:
        """The order's approval at its state (who signed, who is pending, the deadline, what ``actor``
        may do), or None when the order is not at an approval step."""
        return self.approvals.panel(order_id, actor)

    def act_on_approval(self, request: ApprovalRequest) -> ApprovalResult:
        """An approver approves, declines, adds an approver, transfers or returns, in one transaction."""
        return self.approvals.act(request)

    def approval_tasks(self, actor: Actor, limit: int = 100) -> list[OpenTask]:
        """The approval tasks ``actor`` may sign now, oldest first ("My work" lists them)."""
        return self.approvals.open_tasks(actor, limit)

    def available_triggers(self, order_id: int, actor: Actor) -> list[TriggerInfo]:
        """Every trigger a person could fire from the order's state, and why each is not allowed.

        The role is always checked (the department already was: an order outside the actor's
        departments is not found). A guard is evaluated now unless it reads what the transition's
        form fills (``data``, or an ``order`` field the form has); such a guard is listed in
        ``on_submit`` as decided when the form is submitted, and the conditions of its top-level
        ``and`` that read the order alone (``before_form``) are judged now all the same.
        """
        return self.queries.available_triggers(order_id, actor)

    def intake_form(self, workflow: str, channel: str | None) -> PublishedForm | None:
        """The form a new order of ``workflow`` from ``channel`` is filled in (``Queries.intake_form``)."""
        return self.queries.intake_form(workflow, channel)

    def published_forms(self, workflow: str, version: int | None = None) -> list[PublishedForm]:
        """Every form a version of ``workflow`` publishes (``Queries.published_forms``)."""
        return self.queries.published_forms(workflow, version)

    def transition_form(self, order_id: int, trigger: str, actor: Actor) -> PublishedForm | None:
        """The form a person fills to fire ``trigger`` on the order now (``Queries.transition_form``)."""
        return self.queries.transition_form(order_id, trigger, actor)

    # -- pages: what one page shows, in one call and one transaction (``engine.runtime.pages``) ----

    def home(self, actor: Actor) -> list[WorkflowCounts]:
        """The home page: the workflows of the actor's departments with their orders by state and the
        channels the actor may take new orders from."""
        return self.pages.home(actor)

    def new_orders(self, actor: Actor) -> list[NewOrders]:
        """The workflows the actor may take new orders of, with their channels (the overview's offer,
        without its counts: my work shows it)."""
        return self.pages.new_orders(actor)

    def order_list(self, actor: Actor, query: ListQuery | None = None, *, limit: int = 50) -> OrderList:
        """A page of the orders of the actor's departments as ``query`` asks (filters, sort, keyset
        cursor; or the search box's ``q``), each with its version, numbers masked by role
        (``engine.runtime.finding``, ``read_list_query`` reads one from a page's text)."""
        return self.pages.order_list(actor, query, limit=limit)

    def order_page(self, order_id: int, actor: Actor) -> OrderPage:
        """An order's page: the order, its version, history, triggers and forms, the order read once."""
        return self.pages.order_page(order_id, actor)

    def step_page(self, order_id: int, trigger: str, actor: Actor) -> StepPage:
        """A step's page: the order, the step from where it is now (or why not) and its form."""
        return self.pages.step_page(order_id, trigger, actor)

    def take_step(
        self,
        order_id: int,
        trigger: str,
        actor: Actor,
        submission: Submission,
        *,
        expected_lock_version: int | None = None,
    ) -> StepTaken:
        """A step taken from its page in one write transaction, the order read once
        (``Pages.take_step``): ``submission(page)`` gives the data sent, a refusal or a conflict comes
        back with the page."""
        return self.pages.take_step(
            order_id, trigger, actor, submission, expected_lock_version=expected_lock_version
        )

    def batch_page(self, order_ids: Sequence[int], trigger: str, actor: Actor) -> BatchPage:
        """A batch's page: the step ``trigger`` of each selected order, read in one transaction."""
        return self.batch.page(order_ids, trigger, actor)

    def take_batch(
        self, selected: Sequence[Selected], trigger: str, actor: Actor, data: Mapping[str, Any], key: str
    ) -> Iterator[BatchOutcome]:
        """One step on many orders (``engine.runtime.batch``): each order in its own transaction, its
        outcome yielded as it commits or is refused; the same ``key`` fires each order once."""
        return self.batch.take(selected, trigger, actor, data, key)

    def assign_page(self, order_ids: Sequence[int], actor: Actor) -> AssignPage:
        """The orders selected to be assigned, whether ``actor`` may assign each, and the people of their
        department they may be given to, read in one transaction."""
        return self.workspace.assign_page(order_ids, actor)

    def assign_batch(self, selected: Sequence[Selected], to: str, actor: Actor) -> Iterator[Assigned]:
        """Many orders given to the user ``to`` (指派), each in its own transaction with an audit event,
        each outcome yielded as it commits or is refused (``engine.runtime.batch``)."""
        return self.batch.assign(selected, to, actor)

    def sign_batch(
        self, tasks: Sequence[SelectedTask], action: ApprovalAction, actor: Actor, comment: str
    ) -> Iterator[Signed]:
        """Many approval tasks approved or declined with one comment, each in its own transaction through
        the approval panel's call, each outcome yielded as it commits or is refused."""
        return self.batch.sign(tasks, action, actor, comment)

    def intake_page(self, actor: Actor, department: str, workflow: str, channel: str) -> IntakePage:
        """A new order's page: the newest version of ``workflow`` and the form of ``channel``."""
        return self.pages.intake_page(actor, department, workflow, channel)

    def intake_original(
        self, actor: Actor, department: str, workflow: str, channel: str, number: str
    ) -> IntakeOriginal:
        """While a new order is entered: the original order its ``number`` names, summarized, and what
        the intake form takes from it (``original_order:``; docs/workflow-language.md)."""
        return self.pages.intake_original(actor, department, workflow, channel, number)

    # -- my work: the orders a person may act on, the queues, claims (``engine.runtime.workspace``) --

    def my_work(
        self,
        actor: Actor,
        *,
        claims: ClaimFilter = ClaimFilter.ANY,
        department: str | None = None,
        after: WorkCursor | None = None,
        limit: int = 30,
    ) -> MyWork:
        """The actor's work, as a list of sections: per department, the orders in which they may take a
        step now (theirs first, then oldest in their state first; ``department`` and ``after``: a later
        page of one); then the review queues of their departments with counts and the oldest's age."""
        return self.workspace.my_work(actor, claims=claims, department=department, after=after, limit=limit)

    def queue_page(
        self, actor: Actor, department: str, queue: str, *, after: WorkCursor | None = None, limit: int = 30
    ) -> QueuePage:
        """A review queue's orders, oldest in their state first (``NotFound``: no such queue for them)."""
        return self.workspace.queue_page(actor, department, queue, after=after, limit=limit)

    def claim_view(self, order_id: int, actor: Actor) -> ClaimView:
        """Who handles the order, and whether ``actor`` may claim it."""
        return self.workspace.claim_view(order_id, actor)

    def claim(self, order_id: int, actor: Actor, *, take_over_from: str | None = None) -> ClaimView:
        """The order claimed by ``actor`` (taken over from ``take_over_from`` on purpose); an audit event.
        ``ClaimConflict`` when someone else holds it, ``Forbidden`` when the actor has no step on it."""
        return self.workspace.claim(order_id, actor, take_over_from=take_over_from)

    def release(self, order_id: int, actor: Actor) -> ClaimView:
        """The order let go by the actor who holds it; an audit event. ``Forbidden`` for anyone else."""
        return self.workspace.release(order_id, actor)

    def check_database(self) -> None:
        """One statement in a read transaction (on SQLite no write lock); raises when the database
        cannot be reached (``/healthz``)."""
        with self.store.read() as tx:
            tx.connection.execute(text("SELECT 1"))

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction's connection, for what reads tables beside the engine while a page is
        drawn (the option sources its choices come from): on SQLite a plain ``BEGIN``, no write lock."""
        with self.store.read() as tx:
            yield tx.connection

    # -- timers --------------------------------------------------------------------------------

    def run_due_timers(self, worker_id: str, limit: int = 100, lease: timedelta | None = None) -> int:
        """Fire the due timers this worker claims; returns how many fired (``fire_due_timers`` also
        says which could not)."""
        return self.fire_due_timers(worker_id, limit, lease).fired

    def fire_due_timers(
        self, worker_id: str, limit: int = 100, lease: timedelta | None = None
    ) -> TimerReport:
        """Fire the due timers this worker claims; the report says how many fired and which could not.

        A claim lasts ``lease`` (the engine's by default): a timer claimed by a worker that died is
        taken over by another once the claim is older than that. It still fires at most once: the
        timer is marked fired, only if still scheduled and claimed by this worker, in the same
        transaction as its transition. A timer whose state the order has left, or whose condition
        no longer holds, is cancelled. A timer whose order changed under it stays claimed and is
        tried again when its lease runs out. So does one that cannot fire for a reason of its own (its
        order or workflow version stored in a shape this OrderLoom cannot read, written by a newer
        one; any other ``EngineError``): nothing of its fire is written, the error is kept in its note
        and in the report (``UnfiredTimer``), and the other timers go on. It is not cancelled: a worker
        that reads it (the newer OrderLoom, during a rolling upgrade) fires it once the lease lapses.
        """
        return self.workers.fire_due_timers(worker_id, limit, self.lease if lease is None else lease)

    # -- outbox --------------------------------------------------------------------------------

    def dispatch_outbox(
        self,
        worker_id: str,
        send: Callable[[str, Any], None],
        limit: int = 100,
        lease: timedelta | None = None,
        *,
        stop: Callable[[], bool] | None = None,
    ) -> DispatchReport:
        """Hand the pending messages this worker claims, earliest due first, to ``send(topic, payload)``.

        A message is marked sent only after ``send`` returned. When it raises, the attempt and its error
        are recorded and the message is put off by ``self.outbox_retry`` (doubling, capped), dead after
        its last attempt or at once when ``send`` raised ``Undeliverable``; ``Unreachable`` also gives
        the rest of the batch back untried (engine/runtime/outbox.py), and so does ``stop()`` turning
        true (the worker is stopping). Delivery is at least once: a
        worker that dies between sending and marking leaves the claim to lapse, and the message is sent
        again, so receivers deduplicate on the payload.
        """
        chosen = self.lease if lease is None else lease
        return self.workers.dispatch_outbox(worker_id, send, limit, chosen, self.outbox_retry, stop)

    def release_claims(self, worker_id: str) -> tuple[int, int]:
        """A worker stopping in good order lets go of the timers and messages it claimed and did not
        finish, so that others take them now rather than after the lease: (timers, messages)."""
        return self.workers.release_claims(worker_id)

    def fold_order_counts(self) -> int | None:
        """Add the audit events since the last fold into the kept counts the home page reads; how
        many were folded, ``None`` when not now (one fold per interval, in whichever process asks
        first: see ``engine.store.reports.fold_order_counts``). A worker asks every round."""
        return fold_order_counts(self.store, self.clock.now())

    def outbox_messages(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        topic: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[OutboxMessage]:
        """Outbox messages newest first, of ``status`` (pending, sent, dead, internal) and ``topic``
        when given, of the departments the actor administers; ``Forbidden`` for anyone but an admin."""
        scope = _outbox.operator_scope(actor)
        wanted = _outbox.outbox_status(status)
        with self.parts.store.read() as tx:
            return tx.outbox_list(departments=scope, status=wanted, topic=topic, limit=limit, offset=offset)

    def outbox_counts(self, actor: Actor) -> dict[OutboxStatus, int]:
        """How many messages of the actor's departments are pending and how many dead."""
        scope = _outbox.operator_scope(actor)
        with self.parts.store.read() as tx:
            return tx.outbox_counts(departments=scope)

    def outbox_message(self, message_id: int, actor: Actor) -> OutboxMessage:
        """One message; ``NotFound`` when it is not there or outside the actor's departments."""
        return _outbox.visible_message(self.parts.store, message_id, actor)

    def replay_outbox(self, message_ids: Sequence[int], actor: Actor) -> int:
        """Send dead letters (or pending messages put off) back to be delivered now, their attempts
        counted from none; the actor is kept as who replayed them. All or none: ``ConflictError`` for a
        message sent already, internal, or being sent now."""
        return _outbox.replay(self.parts.store, self.parts.clock, message_ids, actor, self.lease)

    def replay_dead_letters(self, actor: Actor, topic: str | None = None) -> int:
        """Send every dead letter the actor sees (of ``topic`` when given) back to be delivered now."""
        return _outbox.replay_dead(self.parts.store, self.parts.clock, actor, topic, self.lease)

    # -- migration -----------------------------------------------------------------------------

    def migrate(
        self,
        workflow: str,
        to_version: int,
        mapping: Mapping[str, str] | None = None,
        dry_run: bool = True,
        actor: Actor = SYSTEM,
        *,
        from_version: int | None = None,
        limit: int | None = None,
        record: Recorder | None = None,
    ) -> MigrationPlan:
        """Move the unfinished orders of ``workflow`` onto ``to_version`` (what moves, what stays and
        why, and the batches: ``engine.runtime.migration.Migrations.migrate``)."""
        return self.migrations.migrate(
            workflow,
            to_version,
            mapping,
            dry_run,
            actor,
            from_version=from_version,
            limit=limit,
            record=record,
        )

    # -- the search index ----------------------------------------------------------------------

    def reindex_search(
        self, department: str | None = None, workflow: str | None = None, chunk: int = REINDEX_CHUNK
    ) -> Iterator[Reindexed]:
        """Rebuild the search terms of every order (of ``department``, of ``workflow``) from the
        ``search:`` of the version each is on, ``chunk`` orders per transaction, yielding each chunk
        once committed (``engine.runtime.search_index``)."""
        return self.search_index.reindex(department, workflow, chunk)
