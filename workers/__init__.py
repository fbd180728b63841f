"""What runs beside the web app: the worker's rounds (``workers.worker``: timers, the correlation feed,
the outbox) and the outbox's mail (``workers.mail``)."""
