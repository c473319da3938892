"""dropviz is an installable library: its core imports no app dependency, and ``pip install <checkout>`` into a
fresh virtual environment in another folder gives working layers (and the bundled cat as package data)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

HEAVY = ("streamlit", "plotly", "PIL", "sklearn")

SCRIPT = textwrap.dedent("""
    import sys
    from importlib import resources

    import torch

    import importlib.util

    import dropviz.layers, dropviz.masks, dropviz.methods, dropviz.train, dropviz.jobs
    import dropviz.demos.dense, dropviz.demos.recurrent
    for sub in ("demos.conv", "figures.theme", "claims", "bench", "ui", "data.images", "imaging"):
        assert importlib.util.find_spec("dropviz." + sub) is not None, sub  # every subpackage ships
    from dropviz.layers import DropBlock2d, DropoutLSTM, MaskedLSTM
    from dropviz.masks import variational_schedule

    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 4, 16, 16, generator=g)
    y = DropBlock2d(p=0.3, block_size=3, generator=g)(x)
    assert y.shape == x.shape and (y == 0).any()
    lstm = MaskedLSTM(5, 7)
    seq = torch.randn(6, 3, 5, generator=g)
    out = lstm(seq, variational_schedule(6, 3, 5, 7, 0.25, generator=g))
    assert out.h.shape == (6, 3, 7)
    layer = DropoutLSTM(5, 7, 0.25, schedule=variational_schedule, generator=g)
    layer(seq).sum().backward()
    assert len(dropviz.methods.METHODS) >= 15
    assert resources.files("dropviz.data").joinpath("cat.png").is_file()
    loaded = sorted({m.split(".")[0] for m in sys.modules} & %r)
    print("heavy:", loaded)
    print("from:", dropviz.__file__)
""" % set(HEAVY))


def test_core_imports_no_app_dependency():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "heavy: []" in out.stdout, out.stdout


@pytest.mark.install
def test_pip_install_into_a_fresh_venv_from_another_folder(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # torch first, pinned: the CPU build that lies on this machine's disk (a bare requirement may pull CUDA)
    subprocess.run([*pip, "torch==2.13.0"], check=True, timeout=900)
    # install from a copy, so the build leaves nothing (build/, *.egg-info) in the checkout
    src = tmp_path / "checkout"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "artifacts", "build", "*.egg-info", ".venv",
                                                             "__pycache__", ".pytest_cache", ".ruff_cache"))
    subprocess.run([*pip, str(src)], check=True, timeout=900, cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = subprocess.run([py, "-c", SCRIPT], cwd=work, capture_output=True, text=True, timeout=300,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr
    assert "heavy: []" in out.stdout, out.stdout
    assert str(venv) in out.stdout.split("from:")[1], "dropviz came from the install, not the checkout"
    for module in HEAVY:  # the base install declares no app dependency
        probe = subprocess.run([py, "-c", f"import {module}"], capture_output=True, timeout=60, cwd=work)
        assert probe.returncode != 0, f"{module} was installed with the library"
