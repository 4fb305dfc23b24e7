"""VQA accuracy (Antol et al. 2015, VQA; Goyal et al. 2017, VQAv2; Singh et al. 2019, TextVQA).

Per question, with the processed references ``r_1..r_n`` (10 human answers in VQAv2 and
TextVQA) and the processed prediction ``p``::

    acc = (1/n) * sum_k min(1, #{j != k : r_j == p} / 3)

the mean over the n leave-one-out subsets of "at least 3 of the other annotators gave
this answer" (GT-Vision-Lab/VQA: PythonEvaluationTools/vqaEvaluation/vqaEval.py,
``VQAEval.evaluate``). References are told apart by position, as the official script
tells its answer records apart by ``answer_id``. With fewer than 10 references the
same formula runs over the n given ones (as lmms-eval and VLMEvalKit do): 3 or more
matching references out of n ≥ 4 give 1.0, and a **single reference always scores 0**
(no other annotator can agree); use ``exact_match`` for single-answer datasets.

Answer processing, chosen by ``answer_processor`` (the tables are vqaEval.py's):

- ``"evalai"`` (default): MMF's ``EvalAIAnswerProcessor`` (facebookresearch/mmf:
  mmf/utils/m4c_evaluators.py, used by ``TextVQAAccuracyEvaluator``, the TextVQA
  challenge scorer; copied in lmms-eval lmms_eval/tasks/_task_utils/vqa_eval_metric.py
  for TextVQA), applied to the prediction and every reference: (1) lower-case, delete
  ``,`` and ``?``, ``'s`` → `` 's``, strip; (2) ``\\n``/``\\t`` → space, strip;
  (3) punctuation, (4) period, (5) digits/articles as below.
- ``"vqa_eval"``: the official VQAv2 script: ``\\n``/``\\t`` → space and strip always;
  steps (3)-(5) only when the stripped references are not all identical (so with ten
  identical references nothing else is normalised, not even case).
- ``"vlmevalkit"``: VLMEvalKit ``process_answer`` (vlmeval/dataset/utils/vqa_eval.py):
  ``\\n``/``\\t`` → space, strip, then (3)-(5) always, with the period rule's look-behind
  written as intended.

(3) Punctuation: for each of ``; / [ ] " { } ( ) = + \\ _ - > < @ ` , ? !``: if it
stands next to a space in the text, or the text contains digit-comma-digit, every
occurrence is deleted; otherwise every occurrence becomes a space. (4) Period: every
``.`` not followed by a digit is deleted (``"vlmevalkit"``: not preceded by a digit
either); the scripts pass ``re.UNICODE`` (= 32) as ``re.sub``'s ``count``, so at most the
first 32 such periods go, reproduced here. The official look-behind ``(?!<=\\d)`` is a
typo and never applies. (5) Lower-case and split on whitespace; number words
``none``/``zero``..``ten`` → ``0``..``10``; drop ``a``, ``an``, ``the``; contractions
(``dont`` → ``don't``...); join with one space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from ..core import Sample
from ._base import Metric, Score, register_metric

__all__ = ["VqaAccuracy", "vqa_process", "vqa_soft_accuracy"]

# The answer-normalisation tables of vqaEval.py (data, reproduced verbatim). Keys are
# matched after lower-casing, so the capitalised ones ("Im", "Ive") never apply there either.
_CONTRACTION_PAIRS = """
aint=ain't arent=aren't cant=can't couldve=could've couldnt=couldn't couldn'tve=couldn't've
couldnt've=couldn't've didnt=didn't doesnt=doesn't dont=don't hadnt=hadn't hadnt've=hadn't've
hadn'tve=hadn't've hasnt=hasn't havent=haven't hed=he'd hed've=he'd've he'dve=he'd've hes=he's
howd=how'd howll=how'll hows=how's Id've=I'd've I'dve=I'd've Im=I'm Ive=I've isnt=isn't itd=it'd
itd've=it'd've it'dve=it'd've itll=it'll let's=let's maam=ma'am mightnt=mightn't
mightnt've=mightn't've mightn'tve=mightn't've mightve=might've mustnt=mustn't mustve=must've
neednt=needn't notve=not've oclock=o'clock oughtnt=oughtn't ow's'at='ow's'at 'ows'at='ow's'at
'ow'sat='ow's'at shant=shan't shed've=she'd've she'dve=she'd've she's=she's shouldve=should've
shouldnt=shouldn't shouldnt've=shouldn't've shouldn'tve=shouldn't've somebody'd=somebodyd
somebodyd've=somebody'd've somebody'dve=somebody'd've somebodyll=somebody'll
somebodys=somebody's someoned=someone'd someoned've=someone'd've someone'dve=someone'd've
someonell=someone'll someones=someone's somethingd=something'd somethingd've=something'd've
something'dve=something'd've somethingll=something'll thats=that's thered=there'd
thered've=there'd've there'dve=there'd've therere=there're theres=there's theyd=they'd
theyd've=they'd've they'dve=they'd've theyll=they'll theyre=they're theyve=they've twas='twas
wasnt=wasn't wed've=we'd've we'dve=we'd've weve=we've werent=weren't whatll=what'll
whatre=what're whats=what's whatve=what've whens=when's whered=where'd wheres=where's
whereve=where've whod=who'd whod've=who'd've who'dve=who'd've wholl=who'll whos=who's
whove=who've whyll=why'll whyre=why're whys=why's wont=won't wouldve=would've wouldnt=wouldn't
wouldnt've=wouldn't've wouldn'tve=wouldn't've yall=y'all yall'll=y'all'll y'allll=y'all'll
yall'd've=y'all'd've y'alld've=y'all'd've y'all'dve=y'all'd've youd=you'd youd've=you'd've
you'dve=you'd've youll=you'll youre=you're youve=you've
"""
_CONTRACTIONS: dict[str, str] = dict(pair.split("=") for pair in _CONTRACTION_PAIRS.split())
"""vqaEval.py ``contractions`` (120 entries)."""
_NUMBER_WORDS: dict[str, str] = {
    "none": "0",
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}
"""vqaEval.py ``manualMap``: number words to digits."""
_ARTICLES = frozenset({"a", "an", "the"})
_PUNCTUATION = tuple(';/[]"{}()=+\\_-><@`,?!')
"""vqaEval.py ``punct``, in its order."""

AnswerProcessor = Literal["evalai", "vqa_eval", "vlmevalkit"]

_COMMA_IN_NUMBER = {
    "evalai": re.compile(r"(?<=\d)(,)+(?=\d)"),
    "vqa_eval": re.compile(r"(\d)(,)(\d)"),
    "vlmevalkit": re.compile(r"(\d)(,)(\d)"),
}
_PERIOD = {
    "evalai": re.compile(r"\.(?!\d)"),
    "vqa_eval": re.compile(r"\.(?!\d)"),
    "vlmevalkit": re.compile(r"(?<!\d)\.(?!\d)"),
}
_PERIOD_COUNT = int(re.UNICODE)  # the scripts' re.sub(p, "", text, re.UNICODE) quirk


def _punctuation(text: str, processor: AnswerProcessor) -> str:
    delete = _COMMA_IN_NUMBER[processor].search(text) is not None
    out = text
    for p in _PUNCTUATION:
        gone = delete or p + " " in text or " " + p in text
        out = out.replace(p, "" if gone else " ")
    return _PERIOD[processor].sub("", out, count=_PERIOD_COUNT)


def _digits_articles(text: str) -> str:
    words = [_NUMBER_WORDS.get(w, w) for w in text.lower().split()]
    return " ".join(_CONTRACTIONS.get(w, w) for w in words if w not in _ARTICLES)


def _evalai_tokenize(text: str) -> str:
    return text.lower().replace(",", "").replace("?", "").replace("'s", " 's").strip()


def _basic(text: str) -> str:
    return text.replace("\n", " ").replace("\t", " ").strip()


def vqa_process(text: str, processor: AnswerProcessor = "evalai") -> str:
    """One answer through the full processing of ``processor`` (see the module docstring)."""
    if processor == "evalai":
        text = _evalai_tokenize(text)
    return _digits_articles(_punctuation(_basic(text), processor))


def vqa_soft_accuracy(prediction: str, references: Sequence[str]) -> float:
    """Mean over leave-one-out subsets of ``min(1, matches / 3)`` (already processed text)."""
    matches = sum(ref == prediction for ref in references)
    accs = [min(1.0, (matches - (ref == prediction)) / 3) for ref in references]
    return sum(accs) / len(accs)


@register_metric("vqa_accuracy", version="1.0.0", higher_is_better=True)
class VqaAccuracy(Metric):
    """VQA/TextVQA soft accuracy over leave-one-out subsets of the references."""

    answer_processor: AnswerProcessor = "evalai"
    """How answers are normalised: ``evalai`` (TextVQA/MMF, lmms-eval), ``vqa_eval``
    (official VQAv2 script, normalises only when references differ), ``vlmevalkit``."""

    def score(self, answer: str, sample: Sample) -> Score:
        if not sample.answers:
            return Score(None, invalid="no reference answer")
        if self.answer_processor == "vqa_eval":
            refs = [_basic(ref) for ref in sample.answers]
            pred = _basic(answer)
            if len(set(refs)) > 1:
                refs = [vqa_process(ref, "vqa_eval") for ref in refs]
                pred = vqa_process(pred, "vqa_eval")
        else:
            refs = [vqa_process(ref, self.answer_processor) for ref in sample.answers]
            pred = vqa_process(answer, self.answer_processor)
        return Score(vqa_soft_accuracy(pred, refs))
