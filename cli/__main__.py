"""``python -m cli``: the command line started as a process (``orderloom run`` starts its worker and the
web app so)."""

from cli.main import main

main()
