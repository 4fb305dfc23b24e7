"""Russian page-parsing pages: a payment invoice and a two-column business letter.

Each builder draws one page on a :class:`~._canvas.Canvas` from structured content
and returns a :class:`ParsingPage`: the image, the OmniDocBench elements of what
was drawn (text, tables with merged cells as HTML, a display formula, page
furniture, a stamp) and the page attributes. Every random choice comes from the
``rng`` passed in.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from ._canvas import Canvas, Cell
from ._identifiers import (
    REGIONS,
    format_date_ru,
    format_money_ru,
    make_company_ru,
    make_person_ru,
    random_date,
)
from ._invoices import _GOODS_RU

__all__ = ["PARSING_BUILDERS", "ParsingPage", "build_business_letter", "build_payment_invoice"]

LANGUAGE = "Russian"
"""``page_attribute.language`` of the pages, as MDPBench names Russian."""


@dataclass
class ParsingPage:
    """A drawn parsing page and its ground truth.

    Attributes:
        page_id: Identifier such as ``payment_invoice-001`` (the image stem).
        image: ``L`` mode page.
        elements: OmniDocBench ``layout_dets`` in drawing order.
        attributes: ``page_attribute`` (data_source, language, layout, watermark, ...).
        fonts: Sorted font file names used on the page.
    """

    page_id: str
    image: Image.Image
    elements: list[dict[str, Any]]
    attributes: dict[str, Any]
    fonts: list[str]


_FONTS_SANS = {
    "body": ("DejaVuSans.ttf", 19),
    "small": ("DejaVuSans.ttf", 15),
    "title": ("DejaVuSans-Bold.ttf", 30),
    "table": ("DejaVuSansCondensed.ttf", 18),
    "table_bold": ("DejaVuSansCondensed-Bold.ttf", 18),
    "formula": ("DejaVuSerif-Italic.ttf", 24),
    "stamp": ("DejaVuSans-Bold.ttf", 15),
}
_FONTS_SERIF = {**_FONTS_SANS, "body": ("DejaVuSerif.ttf", 19), "title": ("DejaVuSerif-Bold.ttf", 28)}
_WIDTH, _HEIGHT, _MARGIN = 1000, 1414, 70


def _attributes(kind: str, layout: str, watermark: bool) -> dict[str, Any]:
    return {
        "data_source": kind,
        "language": LANGUAGE,
        "layout": layout,
        "watermark": watermark,
        "fuzzy_scan": False,
        "colorful_backgroud": False,
        "capture": "digital",
    }


def _watermarked(page_id: str) -> bool:
    """Even-numbered pages (``...-002``) carry a diagonal watermark."""
    return int(page_id.rsplit("-", 1)[1]) % 2 == 0


def _furniture(canvas: Canvas, header: str, footer: str, page_label: str) -> None:
    """Header at the top, footer and page number at the bottom, with thin rules."""
    right = _WIDTH - _MARGIN
    canvas.text("header", header, _MARGIN, right, 28, "small", fill=70)
    canvas.draw.line((_MARGIN, 58, right, 58), fill=120, width=1)
    canvas.draw.line((_MARGIN, _HEIGHT - 62, right, _HEIGHT - 62), fill=120, width=1)
    canvas.text("footer", footer, _MARGIN, right - 200, _HEIGHT - 52, "small", fill=70)
    canvas.text("page_number", page_label, right - 180, right, _HEIGHT - 52, "small", "right", fill=70)


def _finish(canvas: Canvas, page_id: str, y: float, attributes: dict[str, Any]) -> ParsingPage:
    if y > _HEIGHT - 80:
        raise ValueError(f"{page_id}: content ({y:.0f}px) runs into the footer")
    return ParsingPage(page_id, canvas.image, canvas.elements, attributes, sorted(canvas.used_fonts))


def build_payment_invoice(rng: random.Random, page_id: str) -> ParsingPage:
    """A счёт на оплату: parties, an items table with merged header and total cells, the VAT
    formula, signatures under a round stamp; single column."""
    canvas = Canvas(_WIDTH, _HEIGHT, _FONTS_SANS)
    watermark = _watermarked(page_id)
    if watermark:
        canvas.watermark("ОБРАЗЕЦ")
    seller, s_inn, s_kpp, s_addr = make_company_ru(rng, rng.choice(REGIONS))
    buyer, b_inn, b_kpp, b_addr = make_company_ru(rng, rng.choice(REGIONS))
    while buyer == seller:
        buyer, b_inn, b_kpp, b_addr = make_company_ru(rng, rng.choice(REGIONS))
    day = random_date(rng, _dt.date(2023, 1, 1), _dt.date(2025, 12, 31))
    number = rng.randint(10, 999)
    items = []
    for name, lo, hi in rng.sample(_GOODS_RU, rng.randint(2, 4)):
        qty, price = rng.randint(1, 12), rng.randint(lo // 10, hi // 10) * 10
        unit = "усл." if name.startswith(("Услуги", "Консультац")) else rng.choice(("шт.", "упак."))
        items.append((name, qty, unit, price, qty * price))
    net = sum(item[4] for item in items)
    vat = net * 20 // 100  # prices are whole tens of kopecks: exact
    bik = f"04{rng.randint(10**6, 10**7 - 1)}"
    _furniture(
        canvas,
        f"{seller} · ИНН {s_inn} · КПП {s_kpp}",
        f"Банк получателя: ПАО «Сбербанк», БИК {bik}",
        "Страница 1 из 1",
    )
    left, right = _MARGIN, _WIDTH - _MARGIN
    y = canvas.text(
        "title", f"Счет на оплату № {number} от {format_date_ru(day)}", left, right, 90, "title", "center"
    )
    y = canvas.text(
        "text_block", f"Поставщик: {seller}, ИНН {s_inn}, КПП {s_kpp}, {s_addr}", left, right, y + 24
    )
    y = canvas.text(
        "text_block", f"Покупатель: {buyer}, ИНН {b_inn}, КПП {b_kpp}, {b_addr}", left, right, y + 10
    )
    contract = f"{rng.randint(1, 99)}/{day.year}"
    y = canvas.text("text_block", f"Основание: договор поставки № {contract}", left, right, y + 10)
    rows = [
        [Cell("№", rowspan=2, header=True), Cell("Товары (работы, услуги)", rowspan=2, header=True),
         Cell("Количество", colspan=2, header=True), Cell("Цена, руб.", rowspan=2, header=True),
         Cell("Сумма, руб.", rowspan=2, header=True)],
        [Cell("кол.", header=True), Cell("ед.", header=True)],
    ]  # fmt: skip
    for i, (name, qty, unit, price, amount) in enumerate(items, 1):
        rows.append([Cell(str(i)), Cell(name), Cell(str(qty)), Cell(unit), Cell(format_money_ru(price)),
                     Cell(format_money_ru(amount))])  # fmt: skip
    for label, amount in (("Итого без НДС", net), ("НДС 20%", vat), ("Всего к оплате", net + vat)):
        rows.append([Cell(label, colspan=5), Cell(format_money_ru(amount))])
    y = canvas.table(rows, [0.06, 0.42, 0.09, 0.08, 0.16, 0.19], left, right, y + 24)
    words = f"Всего наименований {len(items)}, на сумму {format_money_ru(net + vat)} руб., в том числе НДС."
    y = canvas.text("text_block", words, left, right, y + 18)
    latex = f"\\text{{НДС}} = \\frac{{20}}{{100}} \\cdot {_latex_money(net)} = {_latex_money(vat)}"
    y = canvas.fraction_formula(
        "НДС = ", "20", "100", f" · {format_money_ru(net)} = {format_money_ru(vat)}", latex, y + 14
    )
    due = day + _dt.timedelta(days=rng.choice((5, 10, 14)))
    terms = (
        f"Оплатить не позднее {format_date_ru(due)}. Оплата данного счета означает согласие с условиями "
        "поставки товара. Товар отпускается по факту прихода денег на расчетный счет поставщика."
    )
    y = canvas.text("text_block", terms, left, right, y + 6)
    chief, accountant = make_person_ru(rng), make_person_ru(rng)
    sign_y = y + 40
    y = canvas.text("text_block", f"Руководитель: {chief.short_name}", left, left + 400, sign_y)
    y = canvas.text("text_block", f"Главный бухгалтер: {accountant.short_name}", left, left + 400, y + 16)
    city = s_addr.split(",")[0]
    canvas.stamp(left + 560, sign_y + 30, 88, f"{seller} * {city} * ".upper(), "ИНН " + s_inn[:4])
    return _finish(canvas, page_id, y, _attributes("payment_invoice", "single_column", watermark))


def _latex_money(kopecks: int) -> str:
    """``12 345,67`` as LaTeX writes it: ``12\\,345{,}67``."""
    return format_money_ru(kopecks).replace(",", "{,}").replace(" ", "\\,")


_LETTER_SUBJECTS = (
    ("О поставке оборудования", "поставку оборудования"),
    ("Об изменении банковских реквизитов", "изменение реквизитов"),
    ("О продлении договора аренды", "продление договора аренды"),
    ("О проведении сверки расчетов", "сверку расчетов"),
)
_SENTENCES = (
    "В соответствии с договором № {contract} от {date} сообщаем, что {company} выполнило свои обязательства в полном объеме.",
    "Просим рассмотреть возможность согласовать {topic} до {due} и сообщить о принятом решении.",
    "Стоимость работ составляет {amount} руб., в том числе НДС 20%, и не изменится до конца года.",
    "Все документы, подтверждающие {topic}, будут направлены в ваш адрес заказным письмом.",
    "Ответственным за взаимодействие с вашей организацией назначен {manager}.",
    "По всем вопросам вы можете обратиться по телефону {phone} в рабочие дни с 9:00 до 18:00.",
    "Напоминаем, что срок действия договора истекает {due}, после чего условия могут быть пересмотрены.",
    "Мы благодарим вас за многолетнее сотрудничество и надеемся на его продолжение.",
    "Предлагаем провести рабочую встречу в нашем офисе по адресу: {address}.",
    "Копии счетов-фактур за отчетный период прилагаются к настоящему письму.",
    "Просим подтвердить получение письма ответным сообщением на адрес {email}.",
    "Задержка ответа может привести к переносу сроков поставки на следующий квартал.",
)


def build_business_letter(rng: random.Random, page_id: str) -> ParsingPage:
    """A business letter: letterhead, addressee, subject, body in two columns (read column by
    column), signature, sometimes a stamp."""
    canvas = Canvas(_WIDTH, _HEIGHT, _FONTS_SERIF)
    watermark = _watermarked(page_id)
    if watermark:
        canvas.watermark("КОПИЯ")
    company, inn, _, address = make_company_ru(rng, rng.choice(REGIONS))
    partner = make_company_ru(rng, rng.choice(REGIONS))[0]
    day = random_date(rng, _dt.date(2023, 1, 1), _dt.date(2025, 12, 31))
    subject, topic = rng.choice(_LETTER_SUBJECTS)
    director, recipient, manager = make_person_ru(rng), make_person_ru(rng), make_person_ru(rng)
    phone = (
        f"+7 ({rng.randint(300, 999)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    )
    slots = {
        "contract": f"{rng.randint(1, 250)}/{day.year - 1}",
        "date": format_date_ru(day - _dt.timedelta(days=rng.randint(60, 300))),
        "company": company,
        "topic": topic,
        "due": format_date_ru(day + _dt.timedelta(days=rng.randint(10, 40))),
        "amount": format_money_ru(rng.randint(5_000, 900_000) * 100),
        "manager": manager.full_name,
        "phone": phone,
        "address": address,
        "email": f"office{rng.randint(1, 99)}@example.ru",
    }
    sentences = [s.format(**slots) for s in rng.sample(_SENTENCES, rng.randint(10, 12))]
    paragraphs = [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences) - 1, 2)]
    if len(sentences) % 2:
        paragraphs[-1] += " " + sentences[-1]
    _furniture(
        canvas, f"{company} · ИНН {inn} · {address}", f"Исполнитель: {manager.short_name}, тел. {phone}", "1"
    )
    left, right = _MARGIN, _WIDTH - _MARGIN
    y = canvas.text(
        "text_block", f"Исх. № {rng.randint(10, 999)} от {format_date_ru(day)}", left, left + 420, 90
    )
    to = f"Адресат: {partner}, генеральный директор {recipient.short_name}"
    y = canvas.text("text_block", to, right - 380, right, 90)
    y = canvas.text("title", subject, left, right, y + 30, "title", "center")
    y = _two_columns(canvas, paragraphs, left, right, y + 24)
    sign = f"С уважением, генеральный директор {company} {director.short_name}"
    y = canvas.text("text_block", sign, left, right, y + 24)
    if rng.random() < 0.5:
        canvas.stamp(right - 140, y + 40, 80, f"{company} * ДЛЯ ДОКУМЕНТОВ * ".upper(), "ИНН " + inn[:4])
    return _finish(canvas, page_id, y + 130, _attributes("business_letter", "double_column", watermark))


def _two_columns(canvas: Canvas, paragraphs: list[str], left: float, right: float, y: float) -> float:
    """Paragraphs split between two columns (left filled first, heights balanced); the y below."""
    gap = 40
    width = (right - left - gap) / 2
    font = canvas.font("body")
    advance = round(canvas.fonts["body"][1] * 1.45)
    heights = [len(canvas.wrap(p, font, width)) * advance + 14 for p in paragraphs]
    split = min(range(1, len(paragraphs)), key=lambda k: abs(sum(heights[:k]) - sum(heights[k:])))
    bottoms = []
    for x0, column in ((left, paragraphs[:split]), (left + width + gap, paragraphs[split:])):
        cy = y
        for p in column:
            cy = canvas.text("text_block", p, x0, x0 + width, cy) + 14
        bottoms.append(cy)
    return max(bottoms)


PARSING_BUILDERS: dict[str, Callable[[random.Random, str], ParsingPage]] = {
    "payment_invoice": build_payment_invoice,
    "business_letter": build_business_letter,
}
"""Parsing page kind (``data_source``, the samples' ``doc_class``) to builder, in generation order."""
