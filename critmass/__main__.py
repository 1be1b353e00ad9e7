"""``python -m critmass`` runs the command-line interface."""

from critmass.cli import main

raise SystemExit(main())
