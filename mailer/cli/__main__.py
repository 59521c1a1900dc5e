"""`python -m mailer.cli`: the `traffpunkt` command."""

import sys

from mailer.cli import main

sys.exit(main())
