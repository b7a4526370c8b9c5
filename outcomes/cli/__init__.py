"""The ``outcomes`` command line.

Each command lives in its own module in this package and is imported only when
it runs, so ``outcomes --help`` stays fast and one command's heavy
dependencies (Splink, Spark, Jupyter Book) do not slow the others.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from outcomes.errors import OutcomesError

# command name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("outcomes.cli.validate", "validate", "Check a data folder against the data contract."),
    "dictionary": ("outcomes.cli.validate", "dictionary", "Write the data dictionary generated from the contract."),
    "synth": ("outcomes.cli.synth", "synth", "Write a synthetic national cohort calibrated to published figures."),
    "indicators": ("outcomes.cli.indicators", "indicators", "List, describe, run and scaffold indicators."),
    "link": ("outcomes.cli.link", "link", "Link follow-up sources to secure-home leavers."),
    "analyse": (
        "outcomes.cli.analyse",
        "analyse",
        "Run an analysis: survival, placement success, effect of a placement.",
    ),
    "run": ("outcomes.cli.run", "run", "Run the whole pipeline on a data folder (default: synthetic data)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text comes from the table above so that `outcomes --help` imports nothing heavy.
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="sch-outcomes")
def cli(verbose: int) -> None:
    """Outcome framework for secure children's homes in England.

    Every command works offline. Without a data folder, commands that take one
    use the built-in synthetic cohort.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the CLI and turns framework errors into messages and exit codes."""
    try:
        # Without standalone mode click returns the code of ctx.exit(code) instead of exiting.
        returned = cli.main(args=argv, standalone_mode=False)
    except OutcomesError as error:
        click.echo(f"error: {error}", err=True)
        return error.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    return returned if isinstance(returned, int) else 0


if __name__ == "__main__":
    sys.exit(main())
