"""`python -m mailer.cli`: the `traffpunkt` command."""

import sys

from mailer.cli.app import main

sys.exit(main())
