"""Stages: infer, evaluate, report. Each reads its run directory and writes only into it."""
