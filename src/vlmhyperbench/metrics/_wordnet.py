"""NLTK's WordNet 3.0 corpus made from Debian's packages, for METEOR offline.

``nltk.download("wordnet")`` needs the network. Debian's ``wordnet-base`` and
``wordnet-sense-index`` install the same WordNet 3.0 database in ``/usr/share/wordnet``,
lacking only the ``lexnames`` file NLTK reads (the 45 lexicographer files, as listed in
WordNet's lexnames(5WN)). `wordnet_from_debian` copies the files (NLTK refuses links that
leave its data folder) into an NLTK data folder and writes ``lexnames``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["DEBIAN_WORDNET", "LEXNAMES", "WORDNET_FILES", "wordnet_from_debian"]

DEBIAN_WORDNET = Path("/usr/share/wordnet")
WORDNET_FILES = (
    "adj.exc adv.exc cntlist cntlist.rev data.adj data.adv data.noun data.verb "
    "index.adj index.adv index.noun index.sense index.verb noun.exc verb.exc"
).split()
LEXNAMES = (
    "adj.all 3,adj.pert 3,adv.all 4,noun.Tops 1,noun.act 1,noun.animal 1,noun.artifact 1,noun.attribute 1,"
    "noun.body 1,noun.cognition 1,noun.communication 1,noun.event 1,noun.feeling 1,noun.food 1,noun.group 1,"
    "noun.location 1,noun.motive 1,noun.object 1,noun.person 1,noun.phenomenon 1,noun.plant 1,"
    "noun.possession 1,noun.process 1,noun.quantity 1,noun.relation 1,noun.shape 1,noun.state 1,"
    "noun.substance 1,noun.time 1,verb.body 2,verb.change 2,verb.cognition 2,verb.communication 2,"
    "verb.competition 2,verb.consumption 2,verb.contact 2,verb.creation 2,verb.emotion 2,verb.motion 2,"
    "verb.perception 2,verb.possession 2,verb.social 2,verb.stative 2,verb.weather 2,adj.ppl 3"
).split(",")
"""lexnames(5WN): the lexicographer files in number order, with their syntactic category."""


def wordnet_from_debian(target: Path, debian: Path = DEBIAN_WORDNET) -> Path | None:
    """An NLTK data folder (``<target>/corpora/wordnet``) made from Debian's WordNet 3.0;
    None when those packages are not installed. An existing complete copy is kept."""
    if not all((debian / name).is_file() for name in WORDNET_FILES):
        return None
    corpus = target / "corpora" / "wordnet"
    if (corpus / "lexnames").is_file() and all((corpus / name).is_file() for name in WORDNET_FILES):
        return target
    corpus.mkdir(parents=True, exist_ok=True)
    for name in WORDNET_FILES:
        shutil.copyfile(debian / name, corpus / name)
    lines = (f"{n:02d}\t{entry.replace(' ', chr(9))}\n" for n, entry in enumerate(LEXNAMES))
    (corpus / "lexnames.tmp").write_text("".join(lines), encoding="utf-8")
    (corpus / "lexnames.tmp").replace(corpus / "lexnames")  # written last: marks the copy complete
    return target
