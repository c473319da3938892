"""Which torch device DropViz computes on: CUDA, then Apple MPS, then CPU.

``DROPVIZ_DEVICE=cpu`` (or ``cuda``/``mps``) forces a choice, e.g. to reproduce CPU masks on a GPU host.
"""

from __future__ import annotations

import os

import torch


def available_devices() -> list[str]:
    """Devices usable in this process, best first. CPU is always last and always present."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def default_device() -> str:
    """The ``DROPVIZ_DEVICE`` override when it names an available device, else the best available."""
    devices = available_devices()
    wanted = os.environ.get("DROPVIZ_DEVICE", "").strip().lower()
    return wanted if wanted in devices else devices[0]


def describe(device: str) -> str:
    """A short human label, e.g. ``'CUDA (NVIDIA H100)'`` or ``'CPU (2 threads)'``."""
    if device == "cuda":
        return f"CUDA ({torch.cuda.get_device_name(0)})"
    if device == "mps":
        return "Apple MPS"
    from dropviz.i18n import ngettext  # the sidebar shows it in the page's language (the CLIs run in English)

    n = torch.get_num_threads()
    return ngettext("CPU ({n} thread)", "CPU ({n} threads)", n).format(n=n)
