"""`python -m bot` runs `footnote-bot`."""

import sys

from bot.cli import main

sys.exit(main())
