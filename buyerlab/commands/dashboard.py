"""``buyerlab dashboard STUDY``: serve the explorer notebooks as a Voila dashboard."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``dashboard`` subcommand."""
    p = sub.add_parser("dashboard", help="serve the explorer notebooks as an interactive dashboard (Voila)")
    p.add_argument("study", help="study folder (missing pipeline steps are run first)")
    p.add_argument("--output", help="output folder of the study (default: STUDY/output)")
    p.add_argument("--port", type=int, default=8866, help="port on localhost (default: 8866)")
    p.add_argument("--notebook", default=None,
                   help="serve only this notebook (name or number prefix, e.g. 02); default: the notebooks "
                        "folder, as a list to choose from")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_dashboard)


def voila_command(notebook: str | None = None, port: int = 8866, open_browser: bool = True) -> list[str]:
    """The Voila command line serving one notebook, or the whole notebooks folder, on localhost."""
    from buyerlab.reporting import notebook_paths, notebooks_dir

    target: Path = notebook_paths([notebook])[0] if notebook else notebooks_dir()
    cmd = [sys.executable, "-m", "voila", str(target), f"--port={port}", "--Voila.ip=127.0.0.1",
           "--theme=light"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def voila_env(study) -> dict[str, str]:
    """The environment of the Voila server: its kernels read BUYERLAB_STUDY and run live (not static)."""
    from buyerlab.display import STATIC_ENV
    from buyerlab.reporting import kernel_env

    env = dict(os.environ)
    env.pop(STATIC_ENV, None)
    env.update(kernel_env(study, static=False))
    return env


def _dashboard(args: argparse.Namespace) -> int:
    from buyerlab.pipeline import ensure_outputs
    from buyerlab.study import Study

    study = Study(args.study, args.output)
    ensure_outputs(study, ["ingest", "code", "topics"])
    cmd = voila_command(args.notebook, port=args.port, open_browser=not args.no_browser)
    print(f"dashboard for {study.path} on http://127.0.0.1:{args.port}/ (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(cmd, env=voila_env(study))
    except KeyboardInterrupt:
        return 0
