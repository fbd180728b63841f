"""Built-in actions named in workflows by their registered name (entry-point group ``orderloom.actions``).

Each action is ``def name(ctx: ActionContext) -> Mapping | None``: it runs inside the firing transaction,
touches the database only through ``ctx.connection``, returns the data changes to merge into the order and
queues anything meant for the outside world with ``ctx.emit`` (written to the outbox in the same
transaction). A refusal is a ``PluginError``; the engine rolls the whole transition back and reports it.
"""
