"""The database tables, as SQLAlchemy Core metadata (the migrations create exactly these).

Conventions:

* Times are UTC. PostgreSQL stores ``timestamptz``; SQLite stores SQLAlchemy's text form
  ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC, without an offset), which sorts like the time it holds.
* Every JSON column sits beside a ``schema_version`` column saying which shape it holds.
* ``orders.state`` is the order's active state. An order inside a parallel state holds one leaf per
  region, sorted and joined with ``STATE_JOIN`` (``fulfilling.payment.paid|fulfilling.shipping.packed``);
  a plain string keeps the ``(department, state)`` index useful for the common, non-parallel case.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from engine.store.statuses import OutboxStatus, TimerStatus, sql_list

STATE_JOIN = "|"
_SCHEDULED = text(f"status = '{TimerStatus.SCHEDULED.value}'")
_PENDING = text(f"status = '{OutboxStatus.PENDING.value}'")
_DEAD = text(f"status = '{OutboxStatus.DEAD.value}'")
_CLAIMED = text("assignee IS NOT NULL")
SCHEMA_VERSION = 1

Money = Numeric(16, 2, asdecimal=False)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

workflow_versions = Table(
    "workflow_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workflow", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("department", String(100), nullable=False),
    Column("bundle", JSON, nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(200)),
    # What the studio publishes with (migration 0015): the note, who drafted and who approved it, and
    # the text of every file in the bundle (path -> text), for the diff between versions and rollback.
    Column("note", Text),
    Column("drafted_by", String(200)),
    Column("approved_by", String(200)),
    Column("sources", JSON),
    UniqueConstraint("workflow", "version"),
    # Not unique: a rollback publishes an earlier version's content under a new number.
    Index(None, "workflow", "content_hash"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False),
    Column("workflow", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("channel", String(100)),
    Column("state", String(1000), nullable=False),
    Column("data", JSON, nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Column("lock_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("final", Boolean, nullable=False, default=False),
    # The order's ``total`` (its data's), written beside the data on every write, for the list's amount
    # filter and sort; 0 for an order whose data has none (migration 0016).
    Column("total", Money, nullable=False, server_default="0"),
    # When the order entered the state it is in (a step that stays keeps it), and who claimed it since
    # when: a change of state lets the claim go (migration 0017).
    Column("state_since", DateTime(timezone=True)),
    Column("assignee", String(200)),
    Column("assigned_at", DateTime(timezone=True)),
    # Facts across a customer's orders (migration 0022): who the customer is (``account:<no>`` or
    # ``mobile:<digits>``, engine.common.list_keys.customer_key, written when the order is created), what
    # the order still owes (its total less what was paid, written beside the data on every write), and
    # when a return was first asked for on it (the first write that gives its data a ``refund_amount``).
    Column("customer_key", String(200)),
    Column("due", Money, nullable=False, server_default="0"),
    Column("returned_at", DateTime(timezone=True)),
    Index(None, "department", "state"),
    Index(None, "workflow", "version"),
    Index(None, "department", "id"),  # a department's newest orders first (migration 0009)
    # a state's orders oldest first, a page at a time, and its oldest order (my work, the queues)
    Index(None, "department", "workflow", "state", "state_since", "id"),
    # the orders one person has claimed (only claimed orders are in it)
    Index(
        "ix_orders_assignee",
        "assignee",
        "state_since",
        "id",
        sqlite_where=_CLAIMED,
        postgresql_where=_CLAIMED,
    ),
    # The list's sorts, each a department's orders in its order, read a page at a time from a keyset
    # cursor (migration 0016): newest / oldest, recently updated, amount.
    Index(None, "department", "created_at", "id"),
    Index(None, "department", "updated_at", "id"),
    Index(None, "department", "total", "id"),
    # a customer's orders, newest first: their open orders, what they owe, their orders in the last days
    Index(None, "department", "customer_key", "created_at"),
)

# What the search box finds an order by (migration 0016): one row per term of a kind (``mobile``,
# ``mobile_tail``, ``name``, ``waybill``, ``payment_ref``), normalized (engine.runtime.search_terms),
# written in the transaction that creates the order and in every step that changes a searched field.
# Read by ``(term, department)`` newest order first; ``order_id`` for rewriting an order's terms.
order_search_terms = Table(
    "order_search_terms",
    metadata,
    Column("term", String(200), primary_key=True),
    Column("department", String(100), primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Index(None, "order_id"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("trigger", String(200), nullable=False),
    Column("from_state", String(1000)),
    Column("to_state", String(1000), nullable=False),
    Column("data_changes", JSON, nullable=False),
    Column("guards", JSON, nullable=False),
    Column("rules", JSON),
    Column("reason", Text),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    UniqueConstraint("order_id", "seq"),
)

timers = Table(
    "timers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("state", String(1000), nullable=False),
    Column("trigger", String(200), nullable=False),
    Column("reason", Text),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("claimed_by", String(200)),
    Column("claimed_at", DateTime(timezone=True)),
    # Why a timer was cancelled when that is worth telling: its `when` could not be evaluated.
    Column("note", Text),
    CheckConstraint(f"status IN ({sql_list(TimerStatus)})", name="status"),
    # What the worker still has to do: scheduled timers by due time (the others leave it, migration 0010).
    Index("ix_timers_due", "due_at", "id", sqlite_where=_SCHEDULED, postgresql_where=_SCHEDULED),
    Index("ix_timers_order_id", "order_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # Claimed like timers: a worker holds a message while it sends it; a lapsed claim may be taken.
    Column("claimed_by", String(200)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_attempt_at", DateTime(timezone=True)),
    # pending / sent / dead / internal (OutboxStatus; migration 0012).
    Column("status", String(20), nullable=False, server_default=OutboxStatus.PENDING.value),
    # A pending message is not tried before this: a failed attempt puts it off (backing off, capped).
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("dead_at", DateTime(timezone=True)),  # when it was given up on
    Column("department", String(100)),  # whose message it is: the order's department (admins see theirs)
    Column("replayed_by", String(200)),  # the operator who last sent it back to be delivered, and when
    Column("replayed_at", DateTime(timezone=True)),
    CheckConstraint(f"status IN ({sql_list(OutboxStatus)})", name="status"),
    # What the worker still has to deliver, by when it may next be tried (a sent, dead or internal
    # message leaves it); and the dead letters, few, for the operators' list.
    Index("ix_outbox_pending", "next_attempt_at", "id", sqlite_where=_PENDING, postgresql_where=_PENDING),
    Index("ix_outbox_dead", "id", sqlite_where=_DEAD, postgresql_where=_DEAD),
    # The operators' list, newest first: a department's messages, one topic's (migration 0029).
    Index("ix_outbox_department", "department", "id"),
    Index("ix_outbox_topic", "topic", "id"),
)

# Order counts by department, workflow and state, kept for pages that show them (the home page): the
# counts as of audit event ``last_audit_id``; the events after it are added when the counts are read, and
# folded in now and then (``engine.store.reports``, migration 0011). Nothing on a step's path writes them.
order_state_counts = Table(
    "order_state_counts",
    metadata,
    Column("department", String(100), primary_key=True),
    Column("workflow", String(200), primary_key=True),
    Column("state", String(1000), primary_key=True),
    Column("orders", BigInteger, nullable=False),
)

order_counts_folded = Table(
    "order_counts_folded",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_audit_id", Id, nullable=False),
    Column("last_fold_at", DateTime(timezone=True)),  # when a fold last began (one per interval)
    CheckConstraint("id = 1", name="one_row"),
)

# A key is scoped to the actor that sent it: two clerks may reuse the same key without clashing.
idempotency = Table(
    "idempotency",
    metadata,
    Column("actor", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("result", JSON, nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # sha256 of the request's canonical JSON: the same key with another request is refused.
    # NULL on rows written before it was kept; those replay their result as before.
    Column("request_hash", String(64)),
)

stock = Table(
    "stock",
    metadata,
    Column("sku", String(100), primary_key=True),
    Column("warehouse", String(100), primary_key=True),
    Column("on_hand", Integer, nullable=False, default=0),
    Column("reserved", Integer, nullable=False, default=0),
    # 安全库存: a reservation that takes the units free below it is reported (``stock_changed``).
    Column("safety_stock", Integer, nullable=True),
    # The purchasers were told the row is below its safety stock (``stock.low``, migration 0025): told once,
    # and not again until its units free are back above it (each statement that frees units clears it).
    Column("low_alerted", Boolean, nullable=False, server_default=false()),
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
)

# The product catalogue (商品目录, migration 0021): one row per SKU. ``price`` in yuan, ``weight_kg`` in
# kilograms, ``volume_l`` in litres; ``kind`` is ``shipped`` (goods a warehouse holds and a carrier
# takes) or ``virtual`` (a gift card, an extended warranty: no warehouse, no carrier). A discontinued
# product stays (``active`` false) for the orders that name it, and is offered to no new order.
products = Table(
    "products",
    metadata,
    Column("sku", String(40), primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("price", Numeric(16, 2, asdecimal=True), nullable=False),
    Column("weight_kg", Numeric(12, 3, asdecimal=True)),
    Column("volume_l", Numeric(12, 3, asdecimal=True)),
    Column("kind", String(20), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
    CheckConstraint("price >= 0", name="price_not_negative"),
    CheckConstraint("weight_kg >= 0", name="weight_not_negative"),
    CheckConstraint("volume_l >= 0", name="volume_not_negative"),
    CheckConstraint("kind IN ('shipped', 'virtual')", name="kind_known"),
)

# The correlation feed (``engine.rules.correlation``): how far a feed has read the audit trail and the
# outbox, and which worker holds it (a lease, like timers: one worker correlates at a time).
correlation_cursor = Table(
    "correlation_cursor",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("last_audit_id", Id, nullable=False, server_default="0"),
    Column("last_outbox_id", Id, nullable=False, server_default="0"),
    Column("claimed_by", String(200)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every correlation match: the rule set version, the events it consumed, and each action's result.
correlation_matches = Table(
    "correlation_matches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("feed", String(200), nullable=False),
    Column("ruleset", String(200), nullable=False),
    Column("version", String(64), nullable=False),
    Column("pattern", String(200), nullable=False),
    Column("match_key", String(1000), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("events", JSON, nullable=False),
    Column("actions", JSON, nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Index(None, "feed", "at"),
)

# The customer store (客户): one row per mobile number in a department, inserted by the
# ``customers.register`` action the first time an order names the mobile (then ``account_created`` goes
# to the outbox). ``address_key`` is the first order's delivery address as
# ``engine.rules.correlation.address_key`` makes it, which the correlation patterns group by.
customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False),
    Column("mobile", String(32), nullable=False),
    Column("name", String(200)),
    Column("address_key", String(1000)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("department", "mobile"),
    Index(None, "address_key"),
)

# A business customer's account (客户账户) in a department: the record a wholesale order takes its
# account from when it is placed (the ``customers.load_account`` action), never from the page: the
# company, the credit limit, the opening balance (``outstanding``, yuan: what it owed before its orders
# were kept here, which ``owed()`` counts with its open orders), the days its oldest debt is overdue,
# its standing (``status``), its tier and its account manager (客户经理, who signs its orders'
# approvals). Kept by ``orderloom accounts set`` (and the demo).
customer_accounts = Table(
    "customer_accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False),
    Column("account_no", String(40), nullable=False),
    Column("company", String(200), nullable=False),
    Column("tax_id", String(40)),
    Column("tier", String(40)),
    Column("credit_limit", Numeric(16, 2, asdecimal=False), nullable=False),
    Column("outstanding", Numeric(16, 2, asdecimal=False), nullable=False),
    Column("overdue_days", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("account_manager", String(200)),  # a user's login name (migration 0019)
    # its contact and delivery address, which the wholesale intake's account picker fills in (0026)
    Column("contact_name", String(50)),
    Column("contact_mobile", String(11)),
    Column("address_province", String(20)),
    Column("address_city", String(30)),
    Column("address_district", String(30)),
    Column("address_detail", String(200)),
    Column("address_postcode", String(6)),
    UniqueConstraint("department", "account_no"),
    CheckConstraint("credit_limit >= 0", name="credit_limit_not_negative"),
    CheckConstraint("outstanding >= 0", name="outstanding_not_negative"),
    CheckConstraint("overdue_days >= 0", name="overdue_days_not_negative"),
)

# The people who log in to the web app. ``password_hash`` is an argon2 hash (PHC string); ``roles`` and
# ``departments`` are JSON lists of names, ``"*"`` in ``departments`` meaning every department. A user
# is the engine's ``Actor(name, roles, departments)`` once logged in.
users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(500), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("departments", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("email", String(320)),  # where approval tasks and reminders are mailed (migration 0018)
    # an API login (接口登录): a program (the web shop, the app) acting through the API, not a person: never
    # offered to assign an order to, to add to or transfer an approval to (migration 0028)
    Column("api", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("name"),
)

# A logged-in session (登录会话). The browser's session cookie holds a random token (signed); this table
# holds its SHA-256 only, so a copy of the table opens no session. A page is shown only while the row
# is there and younger than the session lifetime: logging out deletes it, a new password deletes every
# row of the user, and the next login deletes the rows past their lifetime (migration 0013).
login_sessions = Table(
    "login_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "user_id"),
    Index(None, "created_at"),
)

# Login attempts counted per key (``name:<sha256 of the name>``, ``ip:<client address>``) in a window
# that starts at the first attempt counted: taken before the password is checked, in one conditional
# statement per key, so however many processes check logins at once, no more than the limit are checked;
# given back when the password was right (migration 0013).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    Index(None, "window_start"),
)


# The studio (工作室, migration 0015). ``definition_texts``: each text of a definition file published from
# the studio, newest last; a file's current text is its newest row, else the file under the definitions
# root. ``drafts``: one per department and file, its text and revision (a save names the revision it was
# made from: another is a conflict), ``status`` a ``DraftStatus``; ``draft_revisions``: every text saved,
# and every text refused as a conflict, so nothing typed is lost. ``department_settings``: four eyes (a
# second admin approves a draft before it is published). ``studio_events``: what admins did, for the
# department's record (save, publish, rollback, migration, user changes).
definition_texts = Table(
    "definition_texts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False),
    Column("path", String(400), nullable=False),
    Column("text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(200), nullable=False),
    Index(None, "path", "id"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False),
    Column("path", String(400), nullable=False),
    Column("text", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("base_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    Column("requested_by", String(200)),
    UniqueConstraint("department", "path"),
)

draft_revisions = Table(
    "draft_revisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("draft_id", Id, ForeignKey("drafts.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(20), nullable=False),
    Index(None, "draft_id"),
)

department_settings = Table(
    "department_settings",
    metadata,
    Column("department", String(100), primary_key=True),
    Column("four_eyes", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

studio_events = Table(
    "studio_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("detail", JSON, nullable=False),
    Index(None, "department", "id"),
)


# Approval tasks (审批任务): one per approver of an approval step, made when the order enters the step (in
# that step's transaction) and closed when it leaves. ``entered_seq`` is the audit seq of the event that
# entered the state: it tells one visit from the next. ``approver_kind`` is ``role`` (any holder of
# the role signs once) or ``user``; ``origin`` is ``declared`` (the workflow names it), ``added`` (加签:
# an approver added it, before or after themselves; it must approve too) or ``escalated`` (a timeout
# gave the approval to another role). ``seq`` orders the tasks; a task added before another one holds
# that one's id in ``blocks`` (the other waits, status ``waiting``, until it is signed). (Migration 0018)
approval_tasks = Table(
    "approval_tasks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("state", String(1000), nullable=False),
    Column("entered_seq", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("approver_kind", String(10), nullable=False),
    Column("approver", String(200), nullable=False),
    Column("origin", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("blocks", Id),
    Column("added_by", String(200)),
    Column("decided_by", String(200)),
    Column("comment", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("deadline", DateTime(timezone=True)),
    Index("ix_approval_tasks_order_id", "order_id", "id"),
    Index("ix_approval_tasks_approver_status", "approver", "status"),
)


# Managed lists (名单, migration 0022): a department's lists of blocked addresses, blocked mobiles, VIP
# customers, restricted SKUs … kept as data and named by rules (``in_list('blocked-mobiles', …)``).
# ``kind`` (engine.common.list_keys.ListKind) says how a value is normalised into its ``key``; an entry
# keeps the value as it was typed beside its key, unique per key within its list.
named_lists = Table(
    "named_lists",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("department", String(100), nullable=False),
    Column("name", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("label_zh", String(200), nullable=False),
    Column("label_en", String(200), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("department", "name"),
)

named_list_entries = Table(
    "named_list_entries",
    metadata,
    Column("list_id", Id, ForeignKey("named_lists.id"), primary_key=True),
    Column("key", String(500), primary_key=True),
    Column("value", String(500), nullable=False),
    Column("note", String(500)),
    Column("added_by", String(200), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

# Every change to a list (``create``, ``add``, ``remove``), who made it and when, newest last.
named_list_changes = Table(
    "named_list_changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_id", Id, ForeignKey("named_lists.id"), nullable=False),
    Column("action", String(20), nullable=False),
    Column("value", String(500)),
    Column("key", String(500)),
    Column("note", String(500)),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index(None, "list_id", "id"),
)

# The stock ledger (库存台账): one row per change to a stock row's ``on_hand``, written in the transaction
# that changes it, never changed or deleted (triggers refuse UPDATE and DELETE). Per (sku, warehouse) the
# changes add up to ``on_hand``. ``kind``: opening (the rows a database had when the ledger began),
# receive, transfer_out, transfer_in, count, adjust, ship, restock, exchange_return. ``reference``: the
# order id, transfer number or stock-take number the change belongs to. (Migration 0020)
stock_ledger = Table(
    "stock_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", String(100), nullable=False),
    Column("warehouse", String(100), nullable=False),
    Column("change", Integer, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("reference", String(100)),
    Column("actor", String(200), nullable=False),
    Column("note", String(500)),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_stock_ledger_sku_warehouse", "sku", "warehouse", "id"),
    Index("ix_stock_ledger_kind_at", "kind", "at"),
)

# Stock transfers (库存调拨): units that left ``from_warehouse`` at once and are in transit until received
# at ``to_warehouse``, partly or wholly (``received`` so far; ``state`` in_transit, partly_received,
# received). (Migration 0020)
stock_transfers = Table(
    "stock_transfers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", String(100), nullable=False),
    Column("from_warehouse", String(100), nullable=False),
    Column("to_warehouse", String(100), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("received", Integer, nullable=False, default=0),
    Column("state", String(20), nullable=False),
    Column("sent_by", String(200), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("note", String(500)),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("received >= 0 AND received <= qty", name="received_within_qty"),
    CheckConstraint("from_warehouse <> to_warehouse", name="two_warehouses"),
)

# Stock-takes (库存盘点): a count opened for a warehouse, counts entered per sku, then posted (the
# differences against the book go to the ledger, kind ``count``) or cancelled. (Migration 0020)
stock_takes = Table(
    "stock_takes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("warehouse", String(100), nullable=False),
    Column("state", String(20), nullable=False),
    Column("opened_by", String(200), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("posted_by", String(200)),
    Column("posted_at", DateTime(timezone=True)),
)
stock_take_counts = Table(
    "stock_take_counts",
    metadata,
    Column("take_id", Id, ForeignKey("stock_takes.id"), primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("counted", Integer, nullable=False),
    Column("counted_by", String(200), nullable=False),
    Column("counted_at", DateTime(timezone=True), nullable=False),
    # the book and the reserved units when the take was posted (NULL while open): a posted take reads
    # as it was posted, whatever the stock did since
    Column("posted_book", Integer),
    Column("posted_reserved", Integer),
    CheckConstraint("counted >= 0", name="counted_not_negative"),
)

# A stock change sent once (一次性提交): the key a stock page's form (or a caller) sends with a change,
# scoped to its actor, the fingerprint of the change and what it made (``result``: the stock row, the
# transfer or the stock-take), so the same form sent again (a double click) is answered with that instead
# of booking the change twice (migration 0024).
stock_requests = Table(
    "stock_requests",
    metadata,
    Column("actor", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("operation", String(30), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("result", JSON, nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# An order's child records (payments, shipments): each runs the small state machine its kind declares
# under the workflow's ``records:``. ``number`` counts the order's records of one kind from 1; ``state``
# is the record's state; ``data`` its fields (an amount, a warehouse's lines). Changed only where
# ``lock_version`` still matches, in the transaction that also moves the order (migration 0023).
order_records = Table(
    "order_records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(200), nullable=False),
    Column("data", JSON, nullable=False),
    Column("schema_version", Integer, nullable=False, default=SCHEMA_VERSION),
    Column("lock_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("order_id", "kind", "number"),
)

# An order about another order (``original_order:`` of its workflow: an after-sales request about a
# retail order) and the id of the order its data names, written in the transaction that creates the
# order or changes that field; the orders about an order are read by the index on ``original_id``, not
# by a scan of a JSON field (migration 0026, backfilled from the orders' data).
order_links = Table(
    "order_links",
    metadata,
    Column("order_id", Id, ForeignKey("orders.id"), primary_key=True),
    Column("original_id", Id, nullable=False),
    Column("department", String(100), nullable=False),
    Column("workflow", String(200), nullable=False),
    Index(None, "original_id", "department", "workflow", "order_id"),
)
