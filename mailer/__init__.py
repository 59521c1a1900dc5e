"""traffpunkt: a mail daemon that runs a network's regular meetings for its coordinator."""

from pathlib import Path

__version__ = "0.1.0"

#: The project root when running from a checkout (editable install): templates/ and config/ live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
