"""``python -m wcsim``: the same as the ``wcsim`` command."""

from wcsim.cli import main

raise SystemExit(main())
