"""Command line: ``python -m classifiers train DATA_DIR [OUT_DIR]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from classifiers.scorer import DEFAULT_MODEL_DIR
from classifiers.training import train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m classifiers")
    sub = parser.add_subparsers(dest="command", required=True)
    train_cmd = sub.add_parser("train", help="train both models and write the artifact")
    train_cmd.add_argument("data_dir", type=Path)
    train_cmd.add_argument("out_dir", type=Path, nargs="?", default=DEFAULT_MODEL_DIR)
    args = parser.parse_args(argv)
    manifest = train(args.data_dir, args.out_dir, progress=print)
    print(json.dumps(manifest["metrics"], indent=2))


if __name__ == "__main__":
    main()
