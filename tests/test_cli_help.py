"""Every option of every ``graphnet`` command and demo says what it does, its default and its choices."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from graphnet.cli.commands import build_parser
from graphnet.demos import DEMOS, add_demo_options

#: Actions that are not options a user sets: -h, --version, the subcommand switch.
NOT_OPTIONS = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The main parser, each subcommand's, and each demo's (``graphnet demo NAME --help``)."""
    main = build_parser()
    yield "graphnet", main
    for action in main._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, parser in action.choices.items():
                yield f"graphnet {name}", parser
    for name in DEMOS:
        parser = argparse.ArgumentParser(prog=f"graphnet demo {name}")
        add_demo_options(name, parser)
        yield f"graphnet demo {name}", parser


def options() -> Iterator[tuple[str, argparse.ArgumentParser, argparse.Action]]:
    for prog, parser in parsers():
        for action in parser._actions:
            if not isinstance(action, NOT_OPTIONS):
                yield prog, parser, action


OPTIONS = list(options())


def shown(value: object) -> list[str]:
    """The ways a default may be written in a help text."""
    if isinstance(value, list | tuple):
        return [" ".join(map(str, value))]
    if isinstance(value, float):
        return [f"{value:g}", str(value), f"{value:.0e}".replace("e-0", "e-")]  # 0.0001 or 1e-4
    return [str(value)]


def test_there_are_options_to_check() -> None:
    progs = {prog for prog, _, _ in OPTIONS}
    assert {"graphnet train", "graphnet step", "graphnet gradcheck", "graphnet draw", "graphnet demo mnist"} <= progs
    assert len(OPTIONS) > 100


@pytest.mark.parametrize(
    ("prog", "parser", "action"),
    OPTIONS,
    ids=[f"{prog} {'/'.join(action.option_strings) or action.dest}" for prog, _, action in OPTIONS],
)
def test_every_option_has_help_with_its_default_and_choices(prog: str, parser, action: argparse.Action) -> None:
    assert action.help and action.help != argparse.SUPPRESS, f"{prog}: {action.option_strings} has no help"
    text = parser._get_formatter()._expand_help(action)  # %(default)s and %(choices)s filled in, as --help shows
    if not action.required:
        assert "default" in text, f"{prog} {action.option_strings}: no default in {text!r}"
        if action.default not in (None, False, argparse.SUPPRESS):
            assert any(form in text for form in shown(action.default)), (prog, action.option_strings, text)
    for choice in action.choices or ():
        assert str(choice) in text, f"{prog} {action.option_strings}: choice {choice!r} not in {text!r}"


def test_help_lists_the_names_a_newcomer_needs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for fragment in (
        "activation of the hidden layers: sigmoid, tanh, relu, leaky_relu, identity (default: by data set",
        "squared_error, mean_squared_error, binary_cross_entropy, categorical_cross_entropy",
        "(default label)",
        "negative from the end",
        "the inputs are used as given, not scaled",
        "--epochs N passes over the data, ≥ 1 (default: by data set",
        "--engine {graph,fast}",
    ):
        assert fragment in text, fragment
