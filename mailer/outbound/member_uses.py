"""Where a template uses the member's fields, read from Jinja's AST: only plainly output (and tested) or not."""

# A template (with what it includes, extends and imports) qualifies for render-once-personalise-cheaply when
# every use of a member field is either a plain output (`{{ member.name }}`, `{{ mailto.yes }}`) outside any
# construct that could transform its output (macro, call or filter block, `{% set %}` block, autoescape
# switch), or a plain truth test (`{% if member.first_name %}`, with `not`/`and`/`or`). Anything else, a
# name we cannot resolve, or a parse error: None, and the caller renders in full for each member.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import jinja2
from jinja2 import nodes

#: The per-member names the composer hands to templates, with the attributes of those that are mappings.
PERSONAL: dict[str, frozenset[str] | None] = {
    "member": frozenset({"name", "first_name", "address", "organisation"}),
    "mailto": frozenset({"yes", "no", "maybe", "leave", "help", "stay", "approve"}),
    "token": None,
    "reply_address": None,
    "unsubscribe": None,
}
# Nodes through which an output reaches the message unchanged.
_PASS_THROUGH = (nodes.Template, nodes.Output, nodes.If, nodes.For, nodes.Block, nodes.Extends, nodes.Include,
                 nodes.Import, nodes.FromImport)


class _Refused(Exception):
    """The template does something with a member field other than print or test it."""


@dataclass
class Uses:
    """The member fields a template tree prints (per autoescape setting) and tests."""

    printed: dict[str, set[bool]] = field(default_factory=dict)  # field -> {autoescaped?}
    tested: set[str] = field(default_factory=set)

    @property
    def escapes(self) -> set[bool]:
        return {flag for flags in self.printed.values() for flag in flags}


def field_of(node: nodes.Node) -> str | None:
    """`member.name` -> "member.name", `token` -> "token"; None when the node is no plain member field."""
    if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in PERSONAL:
        return node.name if PERSONAL[node.name] is None else None
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.ctx == "load":
        attrs = PERSONAL.get(node.node.name)
        if attrs is not None and node.attr in attrs:
            return f"{node.node.name}.{node.attr}"
    return None


def uses(env: jinja2.Environment, names: Iterable[str]) -> Uses | None:
    """The member fields the named templates (and all they pull in) use; None if any use is more than plain."""
    walker = _Walker(env)
    try:
        for name in names:
            walker.template(name, safe=True)
    except (_Refused, jinja2.TemplateError, OSError):
        return None
    return walker.found


class _Walker:
    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self.found = Uses()
        self.done: set[tuple[str, bool]] = set()

    def template(self, name: str, safe: bool) -> None:
        if (name, safe) in self.done:
            return
        self.done.add((name, safe))
        if self.env.loader is None:
            raise _Refused(name)
        source, _, _ = self.env.loader.get_source(self.env, name)
        escaped = bool(self.env.autoescape(name)) if callable(self.env.autoescape) else bool(self.env.autoescape)
        self.node(self.env.parse(source, name), safe, escaped)

    def node(self, node: nodes.Node, safe: bool, escaped: bool) -> None:
        if isinstance(node, nodes.Name) and node.name in PERSONAL:
            raise _Refused(node.name)  # any use not caught below: in an expression, assigned, a loop target
        if isinstance(node, nodes.Name) and node.name in ("self", "super"):
            raise _Refused(node.name)  # a block's output called as a value can be filtered
        if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            if not isinstance(node.template, nodes.Const) or not isinstance(node.template.value, str):
                raise _Refused("a template name computed at render time")
            self.template(node.template.value, safe and not isinstance(node, (nodes.Import, nodes.FromImport)))
            return
        inner_safe = safe and isinstance(node, _PASS_THROUGH)
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                name = field_of(child)
                if name is None:
                    self.node(child, inner_safe, escaped)
                elif not inner_safe:
                    raise _Refused(name)
                else:
                    self.found.printed.setdefault(name, set()).add(escaped)
            return
        if isinstance(node, (nodes.If, nodes.CondExpr)):
            self.test(node.test, escaped)
            for branch in node.iter_child_nodes(exclude=("test",)):
                self.node(branch, inner_safe, escaped)
            return
        for sub in node.iter_child_nodes():
            self.node(sub, inner_safe, escaped)

    def test(self, node: nodes.Node, escaped: bool) -> None:
        """A condition: a member field may appear as a plain truth value (under not/and/or) only."""
        name = field_of(node)
        if name is not None:
            self.found.tested.add(name)
        elif isinstance(node, nodes.Not):
            self.test(node.node, escaped)
        elif isinstance(node, (nodes.And, nodes.Or)):
            self.test(node.left, escaped)
            self.test(node.right, escaped)
        else:
            self.node(node, False, escaped)
