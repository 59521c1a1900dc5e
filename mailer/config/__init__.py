"""The network's config: `load_config(path)` gives frozen dataclasses or a ConfigError listing every fault."""

from mailer.config.load import load_config
from mailer.config.model import (
    AGENDA_BLOCKS,
    DEFAULT_LOCALES,
    LANGUAGES,
    TLS_MODES,
    TRANSPORTS,
    Agenda,
    Config,
    ImapSettings,
    Mail,
    Meetings,
    Network,
    Override,
    ServerSettings,
    Site,
    SmtpSettings,
)
from mailer.config.sections import environment_problems

__all__ = [
    "AGENDA_BLOCKS", "DEFAULT_LOCALES", "LANGUAGES", "TLS_MODES", "TRANSPORTS", "Agenda", "Config", "ImapSettings",
    "Mail", "Meetings", "Network", "Override", "ServerSettings", "Site", "SmtpSettings", "environment_problems",
    "load_config",
]
