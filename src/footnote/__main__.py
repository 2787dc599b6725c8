"""`python -m footnote` runs the command line."""

import sys

from footnote.cli import main

sys.exit(main())
