"""``python -m aiotape``: the demo and the cassette tools (see ``aiotape.cli``)."""

from .cli import main

raise SystemExit(main())
