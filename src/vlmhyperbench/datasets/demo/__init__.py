"""Synthetic demo dataset: Russian and English documents drawn with Pillow.

``generate_demo(out_dir)`` writes ``annotation.jsonl``, page images and a
README; the shipped copy lives in the ``data/`` folder next to this module
and was generated with :data:`DEMO_SEED`. ``generate_omnidocbench(out_dir)``
writes the Russian page-parsing pages alone, in OmniDocBench's layout.
"""

from __future__ import annotations

from ._generator import DEMO_SEED, generate_demo
from ._omnidoc import generate_omnidocbench
from ._render import find_font

__all__ = ["DEMO_SEED", "find_font", "generate_demo", "generate_omnidocbench"]
