"""The Jinja2 environment for mail templates: a language's folder, the network's language behind it, filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from mailer.errors import TemplateError
from mailer.outbound import notes
from mailer.outbound.kinds import plain_notes
from mailer.outbound.wording import first_name


def paragraphs(text: Any) -> Markup:
    """Plain text as escaped HTML paragraphs, wrapped lines joined, list items kept (the `paragraphs` filter)."""
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in block))
        for block in notes.blocks(plain_notes(text))
    )


def environment(base: Path, language: str, fallback: str, strict: bool) -> jinja2.Environment:
    """Templates from base/<language>, then (unless strict) base/<fallback>, then base/_shared."""
    paths = [base / language]
    if not strict and language != fallback:
        paths.append(base / fallback)  # a file missing here comes from there
    paths.append(base / "_shared")  # partials that read the same in every language
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in paths]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["first_name"] = first_name
    env.filters["paragraphs"] = paragraphs
    env.filters["ljust"] = _ljust
    env.filters["rstrip"] = lambda value: str(value).rstrip()
    return env


def _ljust(value: Any, width: int) -> str:
    return str(value if value is not None else "").ljust(width)


def template(env: jinja2.Environment, name: str, folder: Path) -> jinja2.Template:
    """One template by name; a missing file or a syntax error is a TemplateError naming the file."""
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"{folder / name}: missing") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}: line {exc.lineno}: {exc.message}") from None
