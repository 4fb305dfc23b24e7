"""``python -m vlmhyperbench`` is the ``vlmhb`` command."""

from .cli.main import app

app()
