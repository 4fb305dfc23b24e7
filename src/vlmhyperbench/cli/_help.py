"""Help that reads well: value types as TEXT, PATH, INTEGER; no type for flags; no raw RST.

Typer ≥ 0.2x shows each option's Python type (``<bool>``, ``<list[str]>``, ``<str>``) and
parses help text as Rich markup, so ``anls[threshold=0.4]`` loses its brackets and a
docstring's ``VLMHB_INSTALL=1`` keeps its double backticks. `HelpGroup`, the root group
of ``vlmhb``, fixes every command once, when it is looked up (to run it or to list it):
flags show no type, values a click-style metavar, help text is taken literally with
RST literals shown in bold. Commands need nothing of their own.
"""

from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from typer.core import TyperArgument, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context, Parameter

__all__ = ["HelpGroup", "help_text", "shown_type"]

_TYPE_NAMES = {
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "FLOAT",
    "float range": "FLOAT",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIR",
}
_RST_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)
_tidied: weakref.WeakSet[Any] = weakref.WeakSet()


def shown_type(param: Parameter, ctx: Context) -> str | None:
    """What help shows as ``param``'s value: ``""`` for a flag, else TEXT, PATH, INTEGER, [a|b]…

    None when this Typer does not name Python types (older ones show click's metavars).
    """
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    display_type = getattr(param, "display_type", None)
    if display_type is None:
        return None
    label = str(display_type(ctx)).strip("<>")  # "str", "list[Path]", "int range", "a|b"
    if label.startswith("list[") and label.endswith("]"):
        label = label[len("list[") : -1]
    if "|" in label:
        return f"[{label}]"
    return _TYPE_NAMES.get(label.lower(), label.upper())


def help_text(text: str | None, rich_markup: bool) -> str | None:
    """``text`` as help shows it: literal (no Rich markup), ````x```` as bold ``x``."""
    if not text:
        return text
    if not rich_markup:
        return _RST_LITERAL.sub(r"'\1'", text)
    return _RST_LITERAL.sub(lambda m: f"[bold]{m.group(1)}[/bold]", escape(text))


def _tidy_param(param: Parameter, ctx: Context, rich_markup: bool) -> None:
    shown = shown_type(param, ctx)
    if shown is not None:
        if isinstance(param, TyperArgument):  # its metavar would replace its name: set the type only
            param.display_type_rich = lambda ctx: shown  # type: ignore[method-assign]
        else:
            param.metavar = shown
    if hasattr(param, "help"):
        param.help = help_text(param.help, rich_markup)


def tidy_command(command: Command, ctx: Context) -> None:
    """Fix the help of ``command``, its options (``--help`` included) and its subcommands, once."""
    if command in _tidied:
        return
    _tidied.add(command)
    rich_markup = getattr(command, "rich_markup_mode", None) == "rich"
    command.help = help_text(command.help, rich_markup)
    command.short_help = help_text(command.short_help, rich_markup)
    help_option = command.get_help_option(ctx)
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        _tidy_param(param, ctx, rich_markup)
    for sub in getattr(command, "commands", {}).values():
        tidy_command(sub, ctx)


class HelpGroup(TyperGroup):
    """The root group: every command it hands out has tidy help (see the module docstring)."""

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The subcommand ``cmd_name``, its help tidied."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            tidy_command(command, ctx)
        return command

    def get_params(self, ctx: Context) -> list[Parameter]:
        """The group's own options (``--install-completion``, ``--help``), tidied."""
        params = super().get_params(ctx)
        for param in params:
            if param not in _tidied:
                _tidied.add(param)
                _tidy_param(param, ctx, self.rich_markup_mode == "rich")
        return params
