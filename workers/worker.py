"""``orderloom worker``: due timers, the correlation feed and the outbox, round after round.

Each round fires the due timers this worker claims, feeds the correlation rule sets (when this worker
holds the feed), delivers the outbox messages whose time has come and folds the order counts. A worker
with nothing to do waits ``interval`` seconds.

Asked to stop (SIGTERM, or Ctrl-C: SIGINT), it finishes the timer or message in hand, gives back the
messages of its batch not yet tried, and lets go of what it holds: the correlation feed's lease and any
claim on a timer or message. Another worker (or the next ``worker --once``) then takes them at once
instead of after the lease (5 minutes). When another worker holds the correlation feed, this one says
so, with the time that worker's lease runs to, instead of reporting no match without a word.

A round never dies of one bad row: a row this OrderLoom cannot read (an audit event, an order's data or
an outbox message written by a newer one) is passed over by the correlation feed, whose cursor moves on,
and a timer whose order cannot be read stays scheduled with a note; each is said in the worker's output.
Any other ``EngineError`` of one part of the round (timers, correlation, outbox, order counts) is said
too (once while the part fails the same way), and the other parts go on; the next round tries that part
again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from engine.api import DispatchReport, TimerReport
from engine.api.correlation import CorrelationFeed, CorrelationRuleset, FeedReport
from engine.errors import EngineError
from wiring.services import Services

Send = Callable[[str, Any], None]
Echo = Callable[[str], None]
_T = TypeVar("_T")


@dataclass
class Totals:
    fired: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    matches: int = 0
    rounds: int = 0
    held: FeedReport | None = None  # the last round's report when another worker held the feed
    unreachable: list[str] = field(default_factory=list)
    unreadable: int = 0  # rows the correlation feed passed over: this OrderLoom cannot read them
    unfired: int = 0  # due timers that could not fire (their order cannot be read, …): tried again
    errors: int = 0  # parts of rounds that failed with an EngineError
    last_error: str | None = None  # "part: error" of the last of them


class Worker:
    """One worker process's loop (``orderloom worker``, and the worker ``orderloom run`` starts)."""

    def __init__(
        self,
        services: Services,
        name: str,
        *,
        deliver: Send | None,
        rulesets: Sequence[CorrelationRuleset],
        batch: int = 100,
        interval: float = 1.0,
        echo: Echo = print,
    ) -> None:
        self.services = services
        self.engine = services.engine
        self.name = name
        self.deliver = deliver
        self.batch = batch
        self.interval = interval
        self.echo = echo
        self.feed = CorrelationFeed(self.engine, rulesets, name)
        self.totals = Totals()
        self._stop = threading.Event()
        self._paused_until: datetime | None = None  # outbox delivery waits after an unreachable server
        self._said_held: str | None = None
        self._said_errors: dict[str, str] = {}  # part -> the error said last: said again only if another

    # -- stopping --------------------------------------------------------------------------------

    def request_stop(self, *_: object) -> None:
        """Stop after the timer or message in hand (a signal handler: takes ``(signum, frame)``)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        """Let go of everything this worker holds; say what."""
        let_go: list[str] = []
        try:
            if self.feed.release():
                let_go.append("the correlation feed")
            timers, messages = self.engine.release_claims(self.name)
            if timers:
                let_go.append(f"{timers} timer(s)")
            if messages:
                let_go.append(f"{messages} outbox message(s)")
        finally:
            self.feed.close()
        if let_go:
            self.echo(f"{self.name}: stopped; let go of {', '.join(let_go)}")

    # -- the loop -----------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> Totals:
        """Rounds until asked to stop (one round with ``once``); the totals of what was done."""
        while not self.stopping:
            busy = self.round()
            if once:
                break
            if not busy:
                self._stop.wait(self.interval)
        return self.totals

    def round(self) -> bool:
        """One round; whether it did anything (a worker that did nothing waits before the next)."""
        engine = self.engine
        totals = self.totals
        totals.rounds += 1
        timers = self._part("timers", lambda: engine.fire_due_timers(self.name, limit=self.batch))
        if timers is not None:
            self._note_timers(timers)
        correlated = self._part("correlation", self.feed.round)
        if correlated is not None:
            self._note_feed(correlated)
        report = self._part("outbox", self._dispatch)
        # at most every few seconds
        self._part("order counts", engine.fold_order_counts)
        fired = timers.fired if timers is not None else 0
        totals.fired += fired
        if correlated is not None:
            totals.matches += correlated.matches
        if report is not None:
            totals.sent += report.sent
            totals.retried += report.retried
            totals.dead += report.dead
            self._note_dispatch(report)
        sent = report.sent if report is not None else 0
        passed = len(correlated.unreadable) if correlated is not None else 0
        return bool(fired or sent or (correlated is not None and correlated.events) or passed)

    def _part(self, name: str, work: Callable[[], _T]) -> _T | None:
        """``work()``, or None when it failed with an ``EngineError``: said (once while it fails the same
        way round after round), and the round goes on."""
        try:
            done = work()
        except EngineError as error:
            self.totals.errors += 1
            self.totals.last_error = f"{name}: {error}"
            if self._said_errors.get(name) != str(error):
                self._said_errors[name] = str(error)
                self.echo(f"{self.name}: {name}: error: {error}; the rest of the round goes on")
            return None
        if self._said_errors.pop(name, None) is not None:
            self.echo(f"{self.name}: {name}: works again")
        return done

    def _note_timers(self, report: TimerReport) -> None:
        self.totals.unfired += len(report.unfired)
        for unfired in report.unfired:
            self.echo(
                f"{self.name}: timer {unfired.timer_id} not fired: {unfired.error}; it stays scheduled "
                "and is tried again later"
            )

    def _dispatch(self) -> DispatchReport | None:
        if self.deliver is None:
            return None
        now = self.engine.clock.now()
        if self._paused_until is not None and now < self._paused_until:
            return None
        self._paused_until = None
        report = self.engine.dispatch_outbox(
            self.name, self.deliver, limit=self.batch, stop=lambda: self.stopping
        )
        if report.unreachable is not None:
            self._paused_until = now + self.engine.outbox_retry.first_delay
        return report

    def _note_feed(self, report: FeedReport) -> None:
        self.totals.unreadable += len(report.unreadable)
        for row in report.unreadable:
            self.echo(
                f"{self.name}: correlation passed over a row this OrderLoom cannot read: {row.describe()}"
            )
        if report.holding or report.held_by is None:
            self.totals.held = None
            if self._said_held is not None and report.holding:
                self.echo(f"{self.name}: took over the correlation feed")
            self._said_held = None
            return
        self.totals.held = report
        if self._said_held != report.held_by:
            self._said_held = report.held_by
            self.echo(f"{self.name}: correlation skipped: {held_text(report)}")

    def _note_dispatch(self, report: DispatchReport) -> None:
        if report.unreachable is not None:
            wait = int(self.engine.outbox_retry.first_delay.total_seconds())
            self.echo(f"{self.name}: outbox: {report.unreachable}; delivery waits {wait}s")
            self.totals.unreachable.append(report.unreachable)
        if report.retried or report.dead:
            self.echo(
                f"{self.name}: outbox: {report.retried} message(s) failed and wait to be tried again, "
                f"{report.dead} became dead letter(s) (`orderloom outbox list --status dead`)"
            )

    def summary(self) -> str:
        """The one line ``worker --once`` prints."""
        totals = self.totals
        line = (
            f"{self.name}: fired {totals.fired} timer(s), sent {totals.sent} message(s), "
            f"{totals.matches} correlation match(es)"
        )
        if totals.retried or totals.dead:
            line += f"; {totals.retried} message(s) to try again, {totals.dead} dead letter(s)"
        if totals.unfired:
            line += f"; {totals.unfired} timer(s) not fired"
        if totals.unreadable:
            line += f"; correlation passed over {totals.unreadable} row(s) this OrderLoom cannot read"
        if totals.errors:
            line += f"; {totals.errors} error(s), the last: {totals.last_error}"
        if totals.held is not None:
            line += f"; correlation skipped: {held_text(totals.held)}"
        return line


def held_text(report: FeedReport) -> str:
    until = report.held_until.isoformat(timespec="seconds") if report.held_until else "?"
    return (
        f"the feed is held by worker {report.held_by} (its lease runs to {until} unless it renews it; "
        "a worker stopped in good order lets go of it at once)"
    )
