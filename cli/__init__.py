"""The ``orderloom`` command line (``cli.main``), over the composition root (``wiring``)."""
