"""Regenerate teds.json by running the official PubTabNet TEDS scorer on every case.

The scorer is ibm-aur-nlp/PubTabNet ``src/metric.py`` (Apache-2.0); it is not kept
here. Put ``metric.py``, ``parallel.py``, ``sample_pred.json`` and ``sample_gt.json``
from the repository's ``src/`` in one folder, then:

    pip install apted==1.0.3 distance==0.1.3 lxml tqdm
    python tests/data/golden/teds/make_teds.py /path/to/src/metric.py --commit <sha>

For each case the scorer is run three ways, with and without ``structure_only``:

* ``official_raw``: on the texts as given (a bare ``<table>`` scores 0 there);
* ``teds``/``teds_struct``: on the texts wrapped in ``<html><body>`` when they do not
  start with ``<html``/``<!doctype`` (what ``normalize=False`` scores);
* ``teds_normalized``/``teds_struct_normalized``: on the first table (``body/table``,
  else any ``table``) after ``th`` -> ``td`` and unwrapping ``thead``/``tbody``/``tfoot``,
  serialised and wrapped again (what the default ``normalize=True`` scores).

Values are the scorer's own, negative ones included; the metric reports ``max(0, v)``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import re
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from lxml import etree, html

HERE = Path(__file__).parent
FULL = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
PARSER = html.HTMLParser(remove_comments=True, encoding="utf-8")


def wrap(text: str) -> str:
    return text if FULL.match(text) else f"<html><body>{text}</body></html>"


def normalized(text: str) -> str:
    if not text.strip():
        return text
    root = html.fromstring(wrap(text), parser=PARSER)
    tables = root.xpath("body/table") or root.xpath("//table")
    if not tables:
        return wrap(text)
    table = tables[0]
    for cell in table.iter("th"):
        cell.tag = "td"
    etree.strip_tags(table, "thead", "tbody", "tfoot")
    body = etree.tostring(table, method="html", encoding="unicode", with_tail=False)
    return f"<html><body>{body}</body></html>"


def doc(rows: list[list[str]], head: int = 0, cell: str = "td") -> str:
    """A full document: ``head`` rows in <thead> (if > 0), the rest in <tbody>."""

    def tr(row: list[str], tag: str) -> str:
        return "<tr>" + "".join(c if c.startswith("<t") else f"<{tag}>{c}</{tag}>" for c in row) + "</tr>"

    if head:
        top = "".join(tr(r, cell) for r in rows[:head])
        body = "".join(tr(r, "td") for r in rows[head:])
        inner = f"<thead>{top}</thead><tbody>{body}</tbody>"
    else:
        inner = "".join(tr(r, "td") for r in rows)
    return f"<html><body><table>{inner}</table></body></html>"


def grid(rng: random.Random, n_rows: int, n_cols: int) -> list[list[str]]:
    words = ["Age", "Sex", "Total", "Mean", "SD", "Группа", "Возраст", "Итого", "n/a", "–", "p"]
    pick = [
        lambda: "",
        lambda: f"{rng.uniform(0, 100):.{rng.randint(0, 2)}f}",
        lambda: " ".join(rng.choice(words) for _ in range(rng.randint(1, 3))),
        lambda: f"<b>{rng.choice(words)}</b> {rng.randint(1, 9)}<sup>a</sup>",
    ]
    return [[rng.choice(pick)() for _ in range(n_cols)] for _ in range(n_rows)]


def edited(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    out = [list(r) for r in rows]
    for _ in range(rng.randint(1, 8)):
        r = rng.randrange(len(out))
        c = rng.randrange(len(out[r])) if out[r] else 0
        op = rng.randrange(6)
        if op == 0 and out[r]:
            out[r][c] = out[r][c][:-1] + rng.choice("0123456789xё")
        elif op == 1 and out[r]:
            out[r].pop(c)
        elif op == 2 and len(out) > 2:
            out.pop(r)
        elif op == 3:
            out.insert(r, [f"{rng.randint(0, 99)}" for _ in out[r]])
        elif op == 4 and c + 1 < len(out[r]):
            out[r][c : c + 2] = [f'<td colspan="2">{out[r][c]} {out[r][c + 1]}</td>']
        elif op == 5 and out[r]:
            out[r][c] = ""
    return out


def handmade() -> list[dict[str, Any]]:
    big = grid(random.Random(30), 30, 10)
    big_edit = edited(random.Random(31), big)
    nested = (
        "<html><body><table>"
        + "".join(["<tr><td>x</td></tr>"] + ["<div>"] * 5 + ["</div>"] * 5)
        + "</table></body></html>"
    )
    cases = [
        ("identical 2x2", doc([["a", "b"], ["1", "2"]]), doc([["a", "b"], ["1", "2"]])),
        ("one cell b->c", doc([["a", "c"]]), doc([["a", "b"]])),
        ("th vs td", doc([["a", "b"]], cell="th", head=1), doc([["a", "b"]], head=1)),
        ("thead vs none", doc([["a", "b"]]), doc([["a", "b"]], head=1)),
        (
            "bare fragment vs itself",
            "<table><tr><td>a</td><td>b</td></tr></table>",
            "<table><tr><td>a</td><td>b</td></tr></table>",
        ),
        ("bare fragment vs document", "<table><tr><td>a</td><td>x</td></tr></table>", doc([["a", "b"]])),
        (
            "prose and code fence around table",
            "Here it is:\n```html\n<table><tr><td>a</td><td>b</td></tr></table>\n```",
            doc([["a", "b"]]),
        ),
        (
            "table inside div",
            "<div class='t'><table><tr><td>a</td><td>b</td></tr></table></div>",
            doc([["a", "b"]]),
        ),
        (
            "colspan vs two cells",
            doc([['<td colspan="2">ab</td>'], ["1", "2"]]),
            doc([["a", "b"], ["1", "2"]]),
        ),
        ("colspan 2 vs 3", doc([['<td colspan="2">ab</td>', "c"]]), doc([['<td colspan="3">ab</td>']])),
        (
            "rowspan vs repeated cell",
            doc([['<td rowspan="2">g</td>', "1"], ["2"]]),
            doc([["g", "1"], ["g", "2"]]),
        ),
        ("explicit span 1 vs none", doc([['<td colspan="1" rowspan="1">a</td>', "b"]]), doc([["a", "b"]])),
        ("empty cells vs filled", doc([["", ""], ["", "2"]]), doc([["a", "b"], ["1", "2"]])),
        ("all cells empty both", doc([["", ""], ["", ""]]), doc([["", ""], ["", ""]])),
        (
            "cyrillic yo vs ye",
            doc([["Ёлкин", "Семён"], ["итого", "12"]]),
            doc([["Елкин", "Семен"], ["Итого", "12"]]),
        ),
        ("cyrillic vs latin", doc([["Возраст", "Пол"]]), doc([["Vozrast", "Pol"]])),
        (
            "inline tags dropped",
            doc([["Name", "p<sup>a</sup>"]], head=1),
            doc([["<b>Name</b>", "<i>p</i><sup>a</sup>"]], head=1),
        ),
        ("line break in cell", doc([["a<br>b", "c"]]), doc([["a b", "c"]])),
        ("entities", doc([["A &amp; B", "5&nbsp;%"]]), doc([["A & B", "5 %"]])),
        (
            "pretty printed vs compact",
            "<html><body>\n<table>\n  <tr>\n    <td>a</td>\n    <td> b </td>\n  </tr>\n</table>\n</body></html>",
            doc([["a", "b"]]),
        ),
        (
            "nested table in cell",
            doc([["<td><table><tr><td>x</td></tr></table></td>", "y"]]),
            doc([["x", "y"]]),
        ),
        ("extra row", doc([["a", "b"], ["1", "2"], ["3", "4"]]), doc([["a", "b"], ["1", "2"]])),
        ("missing column", doc([["a"], ["1"]]), doc([["a", "b"], ["1", "2"]])),
        (
            "tfoot and caption",
            "<html><body><table><caption>T1</caption><tr><td>a</td></tr><tfoot><tr><td>s</td></tr></tfoot></table></body></html>",
            doc([["a"], ["s"]]),
        ),
        (
            "th header with thead vs pubtabnet",
            doc([["<b>a</b>", "<b>b</b>"], ["1", "2"]], head=1, cell="th"),
            doc([["<b>a</b>", "<b>b</b>"], ["1", "2"]], head=1),
        ),
        ("unparseable plain text", "I cannot read this table.", doc([["a", "b"]])),
        ("unparseable empty string", "", doc([["a", "b"]])),
        ("unparseable div", "<div>no table</div>", doc([["a", "b"]])),
        ("deeply nested non-table markup", nested, doc([["x", "y", "z", "w", "v"]])),
        ("large 30x10 identical", doc(big, head=1), doc(big, head=1)),
        ("large 30x10 edited", doc(big_edit, head=1), doc(big, head=1)),
        ("large 30x10 no sections vs sections", doc(big_edit), doc(big, head=2)),
    ]
    out = [{"name": n, "pred": p, "true": t} for n, p, t in cases]
    out.append({"name": "ignore_nodes b", "pred": cases[16][1], "true": cases[16][2], "ignore_nodes": ["b"]})
    out.append(
        {
            "name": "ignore_nodes thead tbody",
            "pred": cases[3][1],
            "true": cases[3][2],
            "ignore_nodes": ["thead", "tbody"],
        }
    )
    return out


def randomized(n: int) -> list[dict[str, Any]]:
    out = []
    for k in range(n):
        rng = random.Random(1000 + k)
        rows = grid(rng, rng.randint(5, 20), rng.randint(3, 8))
        pred = edited(rng, rows)
        out.append(
            {"name": f"random {k}", "pred": doc(pred, head=rng.choice([0, 1])), "true": doc(rows, head=1)}
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("metric_py", type=Path, help="path to PubTabNet src/metric.py")
    ap.add_argument("--commit", required=True, help="PubTabNet commit the file came from")
    args = ap.parse_args()
    src = args.metric_py.resolve().parent
    sys.path.insert(0, str(src))
    spec = importlib.util.spec_from_file_location("pubtabnet_metric", args.metric_py)
    assert spec and spec.loader
    official = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(official)

    preds = json.loads((src / "sample_pred.json").read_text("utf-8"))
    gts = json.loads((src / "sample_gt.json").read_text("utf-8"))
    cases = [{"name": k, "pred": preds[k], "true": gts[k]["html"], "pubtabnet_sample": True} for k in gts]
    cases.append(DEMO)  # the single pair of src/demo.ipynb
    cases += handmade() + randomized(16)

    def run(pred: str, true: str, structure_only: bool, ignore: list[str] | None) -> float | None:
        try:
            return float(
                official.TEDS(structure_only=structure_only, ignore_nodes=ignore).evaluate(pred, true)
            )
        except (ZeroDivisionError, ValueError, etree.ParserError):  # the scorer's crashes: null
            return None

    for case in cases:
        ignore = case.get("ignore_nodes")
        for so, key in ((False, "teds"), (True, "teds_struct")):
            case.setdefault("official_raw", {})[key] = run(case["pred"], case["true"], so, ignore)
            case[key] = run(wrap(case["pred"]), wrap(case["true"]), so, ignore)
            case[f"{key}_normalized"] = run(normalized(case["pred"]), normalized(case["true"]), so, ignore)
        print(f"{case['name'][:40]:40} {case['teds']!s:22} {case['teds_normalized']}", flush=True)

    reference = {
        "repo": "ibm-aur-nlp/PubTabNet",
        "file": "src/metric.py",
        "commit": args.commit,
        "versions": {p: version(p) for p in ("apted", "lxml", "distance")}
        | {"python": platform.python_version()},
        "licence": "src/ is Apache-2.0 (src/LICENSE); sample_pred/sample_gt annotations: CDLA-Permissive-1.0",
        "sample_means": {
            key: sum(c[key] for c in cases if c.get("pubtabnet_sample")) / 20
            for key in ("teds", "teds_struct")
        },
    }
    out = HERE / "teds.json"
    out.write_text(
        json.dumps({"reference": reference, "cases": cases}, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    print(f"wrote {len(cases)} cases to {out}")


DEMO = {
    "name": "demo.ipynb single pair",
    "pred": "<html><body><table><thead><tr><td><b>Name of algori</b></td><td><b>Notablefeatures</b></td></tr></thead><tbody><tr><td>MACS [23]</td><td>Uses both a control library and local statistics to minimize bias</td></tr><tr><td>SICER [15]</td><td>Designed for detecting diffusely enriched regions; for example, histone modification</td></tr><tr><td>PeakSEQ [24]</td><td>Corrects for reference genome mappability and local statistics</td></tr><tr><td>SISSRs [25]</td><td>High resolution, precise identification of binding-site location</td></tr><tr><td>F-seq [26]</td><td>Uses kernel density estimation</td></tr></tbody></table></body></html>",
    "true": "<html><body><table><thead><tr><td><b>Name of algorithm</b></td><td><b>Notable features</b></td></tr></thead><tbody><tr><td>MACS [23]</td><td>Uses both a control library and local statistics to minimize bias</td></tr><tr><td>SICER [14]</td><td>Designed for detecting diffusely enriched regions; for example, histone modification</td></tr><tr><td>PeakSeq [24]</td><td>Corrects for reference genome mappability and local statistics</td></tr><tr><td>SISSRs [25]</td><td>High resolution, precise identification of binding-site location</td></tr><tr><td>F-seq [26]</td><td>Uses kernel density estimation</td></tr></tbody></table></body></html>",
}

if __name__ == "__main__":
    main()
