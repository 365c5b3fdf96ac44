"""``python -m bot.replay``: see ``bot.replay.cli``."""

from bot.replay.cli import main

raise SystemExit(main())
