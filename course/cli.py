"""The ``course`` command.

Each sub-command lives in its own module and is imported only when it runs,
so ``course --help`` stays instant. A handler takes the remaining argv list
and returns an exit status.
"""

import argparse
import importlib
import sys

# name -> ("module:function", one-line help)
COMMANDS = {
    "train": ("course.training:cli", "train a reference model on CIFAR-10 (or the synthetic set)"),
    "build": ("course.build:cli", "run the source notebooks, generate the nbgrader release, verify it"),
    "grade": ("course.grade:cli", "autograde a class of submissions in parallel (here or on a Dask cluster); "
                                  "feedback and grades.csv"),
}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="course",
        description="Deep-learning course tools.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {n:<8} {h}" for n, (_, h) in COMMANDS.items())
        + "\n\nRun `course COMMAND --help` for a command's options.",
    )
    parser.add_argument("command", choices=sorted(COMMANDS), metavar="command")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv[:1] if argv and not argv[0].startswith("-") else argv)
    target, _ = COMMANDS[ns.command]
    module_name, func_name = target.split(":")
    handler = getattr(importlib.import_module(module_name), func_name)
    return int(handler(argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
