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

from lamina import app
from lamina.app import stack_name_for
from lamina.cli import handlers
from lamina.cli.options import interrupt_on_ctrl_c, parse_overrides
from lamina.errors import LaminaError, TemplateError
from lamina.model.specs import Stack
from lamina.observe.console import ConsoleSink
from lamina.settings import Settings
from lamina.template import find_template, load_stack
from lamina.template.build import abandon_installs
from lamina.template.loader import load as load_template


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


def _where(file: Path, logical_id: str) -> str:
    """``file:line`` of the function's Handler (of its resource when Globals sets it)."""
    try:
        line = load_template(file).line_of("Resources", logical_id, "Properties", "Handler")
    except TemplateError:
        line = None
    return f"{file}:{line}" if line is not None else str(file)


def _handler_problems(file: Path, stack: Stack, err: Console) -> int:
    """Handlers whose module or function does not exist, read from the files: each printed."""
    count = 0
    for spec in stack.functions.values():
        found = handlers.problem(spec)
        if found is not None:
            count += 1
            err.print(
                f"Error: {_where(file, spec.logical_id)}: resource {spec.logical_id}, "
                f"Handler {spec.handler}: {found}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    return count


def _import_problems(
    file: Path, stack: Stack, overrides: dict[str, str], state_dir: Path | None, err: Console
) -> int:
    """Each Python function's INIT run in a real environment (the handler imported, its
    requirements installed first, the template's services served as ``lamina invoke`` does);
    the failures printed with their last line and file:line."""
    ids = [spec.logical_id for spec in stack.functions.values() if spec.is_python]
    if not ids:
        return 0
    settings = Settings.from_env(
        state_dir or app.default_state_dir(file), async_concurrency=0, project_dir=file.parent
    )
    # Imported lazily: the services it serves cost every other command's start 0.3 s.
    from lamina.app.oneshot import OneShot

    zygote = app.launch_zygote(settings)
    run = OneShot(
        file,
        settings,
        overrides,
        zygote,
        note=lambda m: err.print(f"lamina: {m}", markup=False, highlight=False, soft_wrap=True),
        log_sink=ConsoleSink(lambda _: None),  # the store keeps the INIT logs
    )

    async def initialise() -> dict[str, bytes | None]:
        try:
            engine = await run.start()
            return {i: await engine.initialise(i) for i in ids}
        finally:
            await run.close()

    try:
        interrupt_on_ctrl_c()
        results = app.run(initialise())
    except KeyboardInterrupt:
        abandon_installs()
        err.print("lamina: interrupted", markup=False, highlight=False)
        raise typer.Exit(130) from None
    except LaminaError as exc:
        err.print(f"Error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    count = 0
    for logical_id, failure in results.items():
        if failure is not None:
            count += 1
            spec = stack.functions[logical_id]
            err.print(
                f"Error: {_where(file, logical_id)}: resource {logical_id}, Handler "
                f"{spec.handler} does not import: "
                f"{handlers.init_failure(failure, handlers.module_file(spec))}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    return count


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
    import_handlers: Annotated[
        bool,
        typer.Option(
            "--import/--no-import",
            help="Import each Python handler in a real environment (installing requirements "
            "first) to catch import errors.",
        ),
    ] = True,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state-dir", help="Default: .lamina/ beside the template."),
    ] = None,
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
    failures = _handler_problems(file, stack, err)
    if not failures and import_handlers:
        failures = _import_problems(file, stack, overrides, state_dir, err)
    if lint and not _lint(file, err):
        raise typer.Exit(1)
    if failures:
        raise typer.Exit(1)
    out.print(f"{file} is a valid template for Lamina.", markup=False, highlight=False)
