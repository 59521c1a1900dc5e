"""A cheap fingerprint of what the public site would show now, so a tick rewrites the site only when it
changed: the rows it shows, the local date and the meetings already over, the config and the site's templates."""

from __future__ import annotations

import hashlib
from datetime import datetime

from mailer.config import Config
from mailer.site.pages import template_folder
from mailer.state.store import Store


def site_version(config: Config, store: Store, now: datetime) -> str:
    """Equal for two moments exactly when the site's inputs are: then the rendered files are equal too."""
    ended = sum(1 for m in store.meetings().values() if m.end <= now)
    folder = template_folder(config)
    stamps = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file()) \
        if folder.is_dir() else []
    parts = [now.astimezone(config.network.tz).date().isoformat(), str(ended), repr(config), repr(stamps),
             store.site_data_version(config.site.show_names)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()
