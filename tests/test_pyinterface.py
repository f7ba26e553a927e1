"""pyinterface: a cube's CLI read with `ast` (typer, click, argparse), without importing it."""

from __future__ import annotations

import ast
import textwrap

from validator.manifest import pyinterface


def iface(src: str) -> pyinterface.Interface:
    return pyinterface.from_tree(ast.parse(textwrap.dedent(src)))


def test_typer_option_declarations_name_the_options():
    i = iface('''
        import typer
        app = typer.Typer()

        @app.command("infer")
        def infer(data_path: str = typer.Option(..., "--data_path"),
                  out: str = typer.Option("x", "--output_path", "-o"),
                  flag: bool = typer.Option(False, "--fast/--slow")):
            pass

        @app.command("hotfix")
        def hotfix():
            pass
    ''')
    assert i.kind == "typer"
    assert set(i.commands) == {"infer", "hotfix"}
    cmd = i.commands["infer"]
    assert cmd.options == {"--data_path", "--output_path", "-o", "--fast", "--slow"}
    assert cmd.function == "infer" and cmd.named_explicitly and cmd.line == 6
    assert not i.single_command_app


def test_typer_annotated_options():
    i = iface('''
        from typing import Annotated
        import typer
        app = typer.Typer()

        @app.command("evaluate")
        def evaluate(labels: Annotated[str, typer.Option("--labels")],
                     predictions: Annotated[str, typer.Option()] = "p"):
            pass

        @app.command("other")
        def other():
            pass
    ''')
    assert i.commands["evaluate"].options == {"--labels", "--predictions"}


def test_typer_derives_dashed_names_from_functions_and_parameters():
    i = iface('''
        import typer
        app = typer.Typer()

        @app.command()
        def sanity_check(data_path: str = typer.Option(...), labels_path: str = "x", positional: str = typer.Argument(...)):
            pass

        @app.command(name="stats")
        def statistics(output_path: str):
            pass
    ''')
    assert set(i.commands) == {"sanity-check", "stats"}
    auto = i.commands["sanity-check"]
    assert not auto.named_explicitly and auto.function == "sanity_check"
    assert auto.options == {"--data-path", "--labels-path"}  # typer.Argument is positional
    assert i.commands["stats"].named_explicitly
    assert i.commands["stats"].options == set()  # a parameter without default is a positional argument


def test_typer_single_command_app_and_callback():
    single = iface('''
        import typer
        app = typer.Typer()

        @app.command("infer")
        def infer(data_path: str = typer.Option(..., "--data_path")):
            pass
    ''')
    assert single.single_command_app
    with_callback = iface('''
        import typer
        app = typer.Typer()

        @app.callback()
        def main():
            pass

        @app.command("infer")
        def infer(data_path: str = typer.Option(..., "--data_path")):
            pass
    ''')
    assert with_callback.has_callback and not with_callback.single_command_app


def test_argparse_main_parser_options_are_global():
    i = iface('''
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--start", choices=["prepare", "sanity_check"], default="prepare")
        parser.add_argument("-v", "--verbose", action="store_true")
        parser.add_argument("task", nargs="?")
    ''')
    assert i.kind == "argparse"
    assert i.commands == {}
    assert i.global_options == {"--start", "-v", "--verbose"}


def test_argparse_inside_a_function():
    i = iface('''
        import argparse

        def main():
            p = argparse.ArgumentParser(description="x")
            p.add_argument("--data_path", default="/mlcommons/volumes/data")
            return p.parse_args()
    ''')
    assert i.kind == "argparse" and i.global_options == {"--data_path"}


def test_argparse_subparsers_are_commands():
    i = iface('''
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--log")
        sub = parser.add_subparsers(dest="task")
        prep = sub.add_parser("prepare")
        prep.add_argument("--data_path")
        prep.add_argument("--output_path")
        stats = sub.add_parser("statistics", help="stats")
        stats.add_argument("--output_path")
    ''')
    assert i.kind == "argparse"
    assert set(i.commands) == {"prepare", "statistics"}
    assert i.commands["prepare"].options == {"--data_path", "--output_path"}
    assert i.commands["statistics"].options == {"--output_path"}
    assert i.global_options == {"--log"}
    assert not i.single_command_app  # only typer runs a lone command without its name


def test_click_commands_and_options():
    i = iface('''
        import click

        @click.group()
        def cli():
            pass

        @cli.command("infer")
        @click.option("--data_path", required=True)
        @click.option("-o", "--output_path")
        def infer(data_path, output_path):
            pass
    ''')
    assert i.kind == "click"
    assert set(i.commands) == {"infer"}
    assert i.commands["infer"].options == {"--data_path", "-o", "--output_path"}
    assert not i.single_command_app


def test_plain_script_is_unknown():
    i = iface('''
        import sys
        print(sys.argv)
    ''')
    assert i.kind == "unknown" and not i.commands and not i.global_options


def test_read_from_file(tmp_path):
    script = tmp_path / "mlcube.py"
    script.write_text("import typer\napp = typer.Typer()\n\n@app.command('infer')\ndef infer():\n    pass\n")
    assert set(pyinterface.read(script).commands) == {"infer"}
