"""Tiny SROIE, CORD v2 and FUNSD sources in their official layouts, and PDFs.

The documents imitate the released files (same folder names, file kinds and keys; the
receipts and forms themselves are made up) and the predictions are what the scripted
model answers in the end-to-end tests. The golden scripts under
tests/data/golden/benchmarks/{sroie,cord,funsd}/ import this module to score the same
references and predictions with the official scorers, so it imports nothing of
vlmhyperbench (Pillow draws the pages, pyarrow writes CORD's parquet).

Each source has odd rows the importer must report (a key file that is not JSON, a
missing image...): ``*_ODD`` names them; imports of these sources need ``skip_invalid``.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

# ------------------------------------------------------------------ SROIE (Kaggle layout)
SROIE_TEST: dict[str, dict[str, str]] = {
    "X00016469612": {
        "company": "KEDAI RUNCIT AMAN SDN BHD",
        "date": "25/12/2018",
        "address": "NO.12, JALAN MERANTI 3, TAMAN SRI, 81100 JOHOR BAHRU, JOHOR.",
        "total": "9.00",
    },
    "X00016469619": {
        "company": "SYARIKAT BUKU CERIA",
        "date": "19/10/2018",
        "address": "27, JALAN DEDAP,TAMAN JOHOR JAYA",
        "total": "60.30",
    },
    "X00016469620": {
        "company": "KEDAI ELEKTRIK MAJU",
        "date": "12/01/2019",
        "address": "LOT 18, JALAN KPB 6, 43300 SERI KEMBANGAN",
        "total": "33.90",
    },
    # a key file without 'address', as some released ones are
    "X51005200931": {"company": "PERNIAGAAN HUI", "date": "02/02/2018", "total": "112.45"},
    "X51005230605": {
        "company": "RESTORAN NASI KANDAR",
        "date": "05/03/2018",
        "address": "JALAN IPOH",
        "total": "7.50",
    },
}
SROIE_TRAIN: dict[str, dict[str, str]] = {
    "X51005442366": {"company": "TOKO JAYA", "date": "01/01/2018", "address": "JALAN SATU", "total": "1.00"}
}
SROIE_PREDICTIONS: dict[str, str] = {
    "X00016469612": json.dumps(SROIE_TEST["X00016469612"]),
    # spacing after commas differs (CC-OCR's normalisation forgives it, exact match does not);
    # total is a different string
    "X00016469619": "```json\n"
    + json.dumps(
        {**SROIE_TEST["X00016469619"], "address": "27, JALAN DEDAP, TAMAN JOHOR JAYA", "total": "60.3"}
    )
    + "\n```",
    # address left out, an extra key, the company in other case
    "X00016469620": json.dumps(
        {"company": "Kedai Elektrik Maju", "date": "12/01/2019", "total": "33.90", "phone": "03-8961 2345"}
    ),
    # an address the key file does not have
    "X51005200931": json.dumps({**SROIE_TEST["X51005200931"], "address": "JALAN KLANG LAMA"}),
    "X51005230605": "Sorry, I cannot read this receipt.",
}
SROIE_ODD = {
    "X51005268275": "the key file is not JSON",
    "X51005288570": "the image is missing",
}


def _jpeg_or_png(path: Path, size: tuple[int, int] = (24, 16)) -> Path:
    """A small page whose colour depends on its name (JPEG or PNG by suffix)."""
    from PIL import Image

    shade = hashlib.sha256(path.name.encode()).digest()
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    Image.new("RGB", size, (shade[0], shade[1], shade[2])).save(path, format=kind)
    return path


def _png_bytes(name: str) -> bytes:
    from PIL import Image

    shade = hashlib.sha256(name.encode()).digest()
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), (shade[0], shade[1], shade[2])).save(buffer, format="PNG")
    return buffer.getvalue()


def write_sroie(root: Path) -> Path:
    """``SROIE2019/{train,test}/{img,entities,box}`` as on Kaggle; returns ``root``."""
    for split, receipts in (("test", SROIE_TEST), ("train", SROIE_TRAIN)):
        folder = root / "SROIE2019" / split
        for name, fields in receipts.items():
            _jpeg_or_png(folder / "img" / f"{name}.jpg")
            (folder / "entities").mkdir(parents=True, exist_ok=True)
            (folder / "entities" / f"{name}.txt").write_text(json.dumps(fields, indent=4), encoding="utf-8")
            (folder / "box").mkdir(exist_ok=True)
            (folder / "box" / f"{name}.txt").write_text("72,25,326,25,326,64,72,64,TOTAL\n", encoding="utf-8")
    test = root / "SROIE2019" / "test"
    _jpeg_or_png(test / "img" / "X51005268275.jpg")
    (test / "entities" / "X51005268275.txt").write_text("company: KEDAI\ntotal: 1.00\n", encoding="utf-8")
    (test / "entities" / "X51005288570.txt").write_text(json.dumps({"company": "GONE", "total": "2.00"}))
    _jpeg_or_png(test / "img" / "X51005301666.jpg")  # a receipt without a key file: not a sample
    return root


def write_sroie_rrc(root: Path) -> Path:
    """The RRC release: ``0325updated.task1train(626p)`` (boxes) and ``task2train`` (keys)."""
    boxes, keys = root / "0325updated.task1train(626p)", root / "0325updated.task2train(626p)"
    for name, fields in SROIE_TRAIN.items():
        for folder in (boxes, keys):
            _jpeg_or_png(folder / f"{name}.jpg")
        (boxes / f"{name}.txt").write_text("72,25,326,25,326,64,72,64,TOKO JAYA\n", encoding="utf-8")
        (keys / f"{name}.txt").write_text(json.dumps(fields), encoding="utf-8")
    return root


def write_sroie_zzzdavid(root: Path) -> Path:
    """zzzDavid/ICDAR-2019-SROIE: ``data/img/NNN.jpg``, ``data/key/NNN.json``, ``data/box/NNN.csv``."""
    for number, fields in enumerate(SROIE_TRAIN.values()):
        _jpeg_or_png(root / "data" / "img" / f"{number:03d}.jpg")
        (root / "data" / "key").mkdir(parents=True, exist_ok=True)
        (root / "data" / "key" / f"{number:03d}.json").write_text(json.dumps(fields), encoding="utf-8")
        (root / "data" / "box").mkdir(exist_ok=True)
        (root / "data" / "box" / f"{number:03d}.csv").write_text("1,2,3,4,5,6,7,8,X\n", encoding="utf-8")
    return root


# ------------------------------------------------------------------ CORD v2 (HF parquet)
CORD_TEST: list[tuple[int, dict[str, Any]]] = [
    (
        0,
        {
            "menu": [
                {"nm": "NASI GORENG", "cnt": "1", "price": "25,000"},
                {"nm": "ES TEH", "cnt": "2", "price": "10,000"},
            ],
            "sub_total": {"subtotal_price": "35,000", "tax_price": "3,500"},
            "total": {"total_price": "38,500", "cashprice": "50,000", "changeprice": "11,500"},
        },
    ),
    (
        1,
        {
            "menu": {
                "nm": "KOPI SUSU",
                "cnt": "1",
                "price": "18.000",
                "sub": {"nm": "EXTRA SHOT", "price": "5.000"},
            },
            "total": {"total_price": "23.000"},
        },
    ),
    (
        2,
        {
            "menu": [
                {"nm": "AYAM BAKAR", "unitprice": "30.000", "cnt": "2", "price": "60.000"},
                {"nm": "AIR MINERAL", "cnt": "2", "price": "8.000"},
            ],
            "sub_total": {"subtotal_price": "68.000", "discount_price": "-6.800"},
            "total": {"total_price": "61.200", "creditcardprice": "61.200", "menuqty_cnt": "4"},
        },
    ),
    (3, {"menu": {"nm": "ROTI BAKAR", "cnt": "1", "price": "15,000"}, "total": {"total_price": "15,000"}}),
]
CORD_TRAIN: list[tuple[int, dict[str, Any]]] = [
    (0, {"menu": {"nm": "TEH MANIS", "price": "5,000"}, "total": {"total_price": "5,000"}})
]
CORD_PREDICTIONS: dict[str, str] = {
    # the items in another order (pairs are matched as multisets), in a code fence
    "receipt_00000": "```json\n"
    + json.dumps({**CORD_TEST[0][1], "menu": list(reversed(CORD_TEST[0][1]["menu"]))})
    + "\n```",
    # a list of one item where the ground truth has an object; one price wrong
    "receipt_00001": json.dumps(
        {
            "menu": [
                {
                    "nm": "KOPI SUSU",
                    "cnt": "1",
                    "price": "18.00",
                    "sub": [{"nm": "EXTRA SHOT", "price": "5.000"}],
                }
            ],
            "total": {"total_price": "23.000"},
        }
    ),
    # a made-up item, a field left out, a number for a string, an empty string (not a field)
    "receipt_00002": json.dumps(
        {
            "menu": [
                {"nm": "AYAM BAKAR", "unitprice": "30.000", "cnt": "2", "price": "60.000"},
                {"nm": "AIR MINERAL", "cnt": "2", "price": "8.000"},
                {"nm": "KERUPUK", "price": "2.000"},
            ],
            "sub_total": {"subtotal_price": "68.000", "discount_price": "-6.800"},
            "total": {"total_price": "61.200", "menuqty_cnt": 4, "cashprice": ""},
        }
    ),
    "receipt_00003": "The receipt shows one ROTI BAKAR for 15,000.",
}
CORD_ODD = {2: "ground_truth is not JSON", 4: "the image bytes are missing"}
"""Rows (1-based) of the test parquet file that are not receipts the importer can read."""


def cord_ground_truth(image_id: int, parse: dict[str, Any], split: str) -> str:
    """The ``ground_truth`` string of a cord-v2 row."""
    truth = {
        "gt_parse": parse,
        "meta": {
            "version": "2.0.0",
            "split": split,
            "image_id": image_id,
            "image_size": {"width": 24, "height": 16},
        },
        "valid_line": [
            {
                "words": [
                    {
                        "quad": {"x1": 1, "y1": 1, "x2": 9, "y2": 1, "x3": 9, "y3": 5, "x4": 1, "y4": 5},
                        "is_key": 0,
                        "row_id": 1,
                        "text": "X",
                    }
                ],
                "category": "menu.nm",
                "group_id": 1,
                "sub_group_id": 0,
            }
        ],
        "roi": {},
        "repeating_symbol": [],
        "dontcare": [],
    }
    return json.dumps(truth, ensure_ascii=False)


def write_cord(root: Path) -> Path:
    """``data/{train,validation,test}-00000-of-00001-<hash>.parquet`` as on the Hub (validation
    empty; test with the odd rows ``CORD_ODD``); returns ``root``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema([("image", image), ("ground_truth", pa.string())])

    def rows(split: str, receipts: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
        return [
            {
                "image": {"bytes": _png_bytes(f"{split}-{i}"), "path": None},
                "ground_truth": cord_ground_truth(i, p, split),
            }
            for i, p in receipts
        ]

    test = rows("test", CORD_TEST)
    test.insert(1, {"image": {"bytes": _png_bytes("odd-5"), "path": None}, "ground_truth": "{not json"})
    test.insert(
        3,
        {
            "image": {"bytes": None, "path": "receipt_6.png"},
            "ground_truth": cord_ground_truth(6, CORD_TEST[0][1], "test"),
        },
    )
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for split, table in (("test", test), ("train", rows("train", CORD_TRAIN)), ("validation", [])):
        pq.write_table(
            pa.Table.from_pylist(table, schema=schema), data / f"{split}-00000-of-00001-0f3a9c.parquet"
        )
    return root


def write_cord_folders(root: Path, *, v0: bool = False) -> Path:
    """The released layout ``CORD/<split>/image/receipt_NNNNN.png`` + ``json/receipt_NNNNN.json``
    (``v0``: the JSON without gt_parse, as the 2019 release)."""
    for split, receipts in (("test", CORD_TEST), ("train", CORD_TRAIN), ("dev", [])):
        folder = root / "CORD" / split
        (folder / "json").mkdir(parents=True, exist_ok=True)
        (folder / "image").mkdir(parents=True, exist_ok=True)
        for image_id, parse in receipts:
            name = f"receipt_{image_id:05d}"
            _jpeg_or_png(folder / "image" / f"{name}.png")
            truth = json.loads(cord_ground_truth(image_id, parse, split))
            if v0:
                del truth["gt_parse"]
            (folder / "json" / f"{name}.json").write_text(json.dumps(truth), encoding="utf-8")
    return root


# ------------------------------------------------------------------ FUNSD
def _entity(eid: int, label: str, text: str, links: list[list[int]] | None = None) -> dict[str, Any]:
    words = [{"text": w, "box": [10 * i, 5, 10 * i + 8, 12]} for i, w in enumerate(text.split())]
    return {
        "id": eid,
        "text": text,
        "box": [0, 5, 80, 12],
        "linking": links or [],
        "label": label,
        "words": words,
    }


FUNSD_TEST: dict[str, list[dict[str, Any]]] = {
    "0000971160": [
        _entity(0, "header", "ACCOUNT APPLICATION"),
        _entity(1, "question", "Name:", [[1, 2]]),
        _entity(2, "answer", "John Smith", [[1, 2]]),
        _entity(3, "question", "Date:", [[3, 4]]),
        _entity(4, "answer", "03/04/97", [[3, 4]]),
        _entity(5, "question", "Signature:"),
        _entity(6, "answer", ""),  # an entity without text: not a field
        _entity(7, "other", "Page 1"),
    ],
    "0000989556": [
        _entity(0, "question", "TO:", [[0, 1]]),
        _entity(1, "answer", "R. J. Reynolds", [[0, 1]]),
        _entity(2, "question", "FROM:", [[2, 3]]),
        _entity(3, "answer", "Dr. A. Jones", [[2, 3]]),
        _entity(4, "other", "CONFIDENTIAL"),
    ],
    "0001123541": [
        _entity(0, "header", "REPORT"),
        _entity(1, "question", "Total:", [[1, 2]]),
        _entity(2, "answer", "15", [[1, 2]]),
    ],
}
FUNSD_TRAIN: dict[str, list[dict[str, Any]]] = {"0000990274": [_entity(0, "header", "MEMO")]}
FUNSD_PREDICTIONS: dict[str, str] = {
    "0000971160": json.dumps(
        {
            "header": ["ACCOUNT APPLICATION"],
            "question": ["Name:", "Date:", "Signature"],
            "answer": ["John Smith", "03/04/1997"],
        }
    ),
    # an 'other' list the prompt does not ask for: its items are false positives
    "0000989556": json.dumps(
        {"header": [], "question": ["FROM:", "TO:"], "answer": ["R. J. Reynolds"], "other": ["CONFIDENTIAL"]}
    ),
    "0001123541": "```json\n"
    + json.dumps({"header": ["REPORT"], "question": ["Total:"], "answer": ["15"]})
    + "\n```",
}
FUNSD_ODD = {"0000999999": "the annotation is not JSON", "0000999998": "the image is missing"}


def funsd_fields(entities: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The ground truth a FUNSD form becomes: entity texts by label (``other`` and empty left out)."""
    fields: dict[str, list[str]] = {"header": [], "question": [], "answer": []}
    for entity in entities:
        if entity["label"] in fields and entity["text"].strip():
            fields[entity["label"]].append(entity["text"])
    return fields


def write_funsd(root: Path) -> Path:
    """``dataset/{training,testing}_data/{annotations,images}`` as released; returns ``root``."""
    for folder, forms in (("testing_data", FUNSD_TEST), ("training_data", FUNSD_TRAIN)):
        base = root / "dataset" / folder
        (base / "annotations").mkdir(parents=True, exist_ok=True)
        for name, entities in forms.items():
            _jpeg_or_png(base / "images" / f"{name}.png")
            (base / "annotations" / f"{name}.json").write_text(json.dumps({"form": entities}, indent=2))
    test = root / "dataset" / "testing_data"
    _jpeg_or_png(test / "images" / "0000999999.png")
    (test / "annotations" / "0000999999.json").write_text('{"form": [', encoding="utf-8")
    (test / "annotations" / "0000999998.json").write_text(json.dumps({"form": [_entity(0, "header", "X")]}))
    return root


# ------------------------------------------------------------------ PDF
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
PDF_PAGE_TEXT = ["ALPHA 111", "BRAVO 222", "DELTA 333"]


def write_pdf(path: Path, texts: list[str] = PDF_PAGE_TEXT, size: tuple[int, int] = (300, 100)) -> Path:
    """A PDF with one page per text, each ``size`` points (Pillow, 72 dpi: a pixel a point)."""
    from PIL import Image, ImageDraw, ImageFont

    try:
        font: Any = ImageFont.truetype(FONT, 36)
    except OSError:
        font = ImageFont.load_default()
    pages = []
    for text in texts:
        page = Image.new("RGB", size, "white")
        ImageDraw.Draw(page).text((12, 28), text, fill="black", font=font)
        pages.append(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(path, format="PDF", save_all=True, append_images=pages[1:], resolution=72.0)
    return path


def _pdf_file(objects: list[str], trailer: str = "") -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer}>>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def write_encrypted_pdf(path: Path) -> Path:
    """A one-page PDF with a standard security handler whose user password is not empty."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
        f"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <{'11' * 32}> /U <{'22' * 32}> >>",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_pdf_file(objects, f"/Encrypt 4 0 R /ID [<{'33' * 16}> <{'33' * 16}>] "))
    return path


def write_broken_pdf(path: Path) -> Path:
    """The first 200 bytes of a real PDF (a truncated download)."""
    whole = write_pdf(path)
    whole.write_bytes(whole.read_bytes()[:200])
    return path
