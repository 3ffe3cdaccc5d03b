"""``lamina validate``: load a template the way ``lamina up`` would and say what it found.

Functions go to stdout as a table; warnings and the list of resources Lamina does not run go to
stderr. Exit status 0 when the template is usable, 1 (with the error located as file:line,
resource, field) when it is not.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lamina.app import stack_name_for
from lamina.cli.options import parse_overrides
from lamina.errors import TemplateError
from lamina.model.specs import Stack
from lamina.template import find_template, load_stack


def _functions_table(stack: Stack) -> Table:
    table = Table(title=f"Functions of stack {stack.name}", title_justify="left")
    for column in ("Logical id", "Name", "Runtime", "Handler"):
        table.add_column(column, overflow="fold")
    table.add_column("Memory (MB)", justify="right")
    table.add_column("Timeout (s)", justify="right")
    for spec in stack.functions.values():
        table.add_row(
            spec.logical_id,
            spec.name,
            spec.runtime,
            spec.handler,
            str(spec.memory_mb),
            f"{spec.timeout_s:g}",
        )
    return table


def _lint(file: Path, out: Console) -> bool:
    """Run cfn-lint on ``file`` and print its findings; True when it found no error."""
    try:
        api: Any = importlib.import_module("cfnlint.api")
    except ImportError:
        out.print("--lint needs cfn-lint: pip install cfn-lint", markup=False)
        return False
    matches = api.lint_file(file, api.ManualArgs(regions=["us-east-1"]))
    for match in matches:
        out.print(
            f"{match.filename}:{match.linenumber}: {match.rule.id} {match.message}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    # cfn-lint's rule ids start with E for errors, W for warnings, I for information.
    return not any(str(m.rule.id).startswith("E") for m in matches)


def command(
    template: Annotated[
        Path,
        typer.Argument(help="SAM or CloudFormation template, or a directory holding one."),
    ] = Path("template.yaml"),
    parameter_overrides: Annotated[
        list[str],
        typer.Option(
            "--parameter-overrides",
            help="Template parameters as Key=Value, or ParameterKey=K,ParameterValue=V "
            "(repeatable).",
        ),
    ] = [],  # noqa: B006 (typer copies option defaults; never mutated)
    lint: Annotated[
        bool, typer.Option("--lint", help="Also run cfn-lint (when it is installed).")
    ] = False,
) -> None:
    """Check that a template can run under Lamina and list its functions."""
    # Piped output is not cut to 80 columns: names and ARNs stay whole and greppable.
    out = Console() if sys.stdout.isatty() else Console(width=250)
    err = Console(stderr=True, width=None if sys.stderr.isatty() else 250)
    overrides = parse_overrides(parameter_overrides)
    try:
        file = find_template(template)
        # The directory's name, cleaned up the way ``lamina up``/``invoke`` name the stack, so
        # the physical names shown here are the ones the functions will have.
        stack = load_stack(file, stack_name=stack_name_for(file), parameter_overrides=overrides)
    except TemplateError as exc:
        err.print(f"Error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    out.print(_functions_table(stack))
    for warning in (stack.unsupported_warning(), *stack.warnings):
        if warning:
            err.print(f"Warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if lint and not _lint(file, err):
        raise typer.Exit(1)
    out.print(f"{file} is a valid template for Lamina.", markup=False, highlight=False)
