"""gunicorn settings for the benchmark: the served tree's gunicorn.conf.py as it is (gunicorn
runs in that tree), plus section timers in every worker (`benchmarks/sections.py`), idle until
the benchmark switches them on."""

import os
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_project = runpy.run_path(str(Path.cwd() / "gunicorn.conf.py"))
globals().update({k: v for k, v in _project.items() if not k.startswith("__")})
_project_post_worker_init = _project.get("post_worker_init")


def post_worker_init(worker):
    if _project_post_worker_init:
        _project_post_worker_init(worker)
    sys.path.insert(0, str(HERE))
    import sections

    sections.install(Path(os.environ["BENCH_SECTIONS_DIR"]), worker.wsgi)
