"""``python -m buyerlab`` runs the command line."""

import sys

from buyerlab.cli import main

sys.exit(main())
