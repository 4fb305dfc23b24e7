"""Financial demo documents: Russian invoice and receipt, English invoice."""

from __future__ import annotations

import datetime as _dt
import random

from ._documents import Document, Page, family_fonts, field_specs
from ._identifiers import (
    REGIONS,
    format_date_en,
    format_date_ru,
    format_money_en,
    format_money_ru,
    make_company_ru,
    make_person_ru,
    random_date,
)

__all__ = ["build_invoice", "build_invoice_en", "build_receipt"]

_GOODS_RU = (
    ("Бумага офисная А4, 500 л.", 29_000, 52_000), ("Картридж лазерный", 190_000, 650_000),
    ("Монитор 24 дюйма", 1_100_000, 2_300_000), ("Клавиатура проводная", 90_000, 290_000),
    ("Мышь компьютерная", 40_000, 190_000), ("Услуги по доставке", 50_000, 450_000),
    ("Консультационные услуги", 1_500_000, 9_000_000), ("Стул офисный", 450_000, 1_500_000),
    ("Ноутбук 15,6 дюйма", 4_500_000, 9_900_000), ("Кабель HDMI 2 м", 35_000, 120_000),
    ("Папка-регистратор", 15_000, 40_000), ("Ручка шариковая, 50 шт.", 30_000, 90_000),
)  # fmt: skip
_FOOD_RU = (
    ("Молоко 3,2% 1 л", 7_990, 11_990), ("Хлеб ржаной", 4_290, 6_990),
    ("Сыр российский 200 г", 18_990, 32_990), ("Яйца С1 10 шт", 9_990, 15_990),
    ("Масло сливочное 180 г", 15_990, 26_990), ("Чай черный 100 пак", 14_990, 34_990),
    ("Кофе молотый 250 г", 29_990, 59_990), ("Сахар 1 кг", 6_990, 9_990),
    ("Яблоки 1 кг", 9_990, 18_990), ("Вода питьевая 1,5 л", 3_990, 7_990),
    ("Гречка 900 г", 7_990, 12_990), ("Кефир 1% 0,9 л", 6_990, 10_990),
)  # fmt: skip
_GOODS_EN = (
    ("Office paper A4, 500 sheets", 450, 1_200), ("Laser toner cartridge", 4_500, 12_900),
    ("Wireless mouse", 1_500, 4_900), ("USB-C docking station", 9_900, 24_900),
    ("27-inch monitor", 18_900, 44_900), ("Ergonomic office chair", 14_900, 59_900),
    ("On-site support (hour)", 6_500, 15_000), ("Software license (annual)", 9_900, 99_900),
    ("Network switch, 8 ports", 2_900, 8_900), ("Shipping and handling", 1_000, 5_000),
)  # fmt: skip

_EN_COMPANIES = (
    "Acme Supplies Ltd.", "Northwind Traders Inc.", "Blue River Logistics LLC",
    "Greenfield Office Solutions", "Summit Data Systems Inc.", "Harbor Lane Printing Co.",
    "Maple & Oak Furniture Ltd.", "Brightline Consulting LLC", "Crescent Software Inc.",
    "Redwood Industrial Supply", "Silver Peak Electronics", "Union Street Bakery Co.",
)  # fmt: skip
_EN_STREETS = (
    "Main Street", "Oak Avenue", "Market Street", "Elm Street", "Park Road",
    "Cedar Lane", "Lake Drive", "Hill Street", "Washington Avenue", "River Road",
)  # fmt: skip
_EN_CITIES = (
    "Springfield, IL 62701", "Portland, OR 97205", "Austin, TX 78701", "Denver, CO 80202",
    "Columbus, OH 43215", "Madison, WI 53703", "Raleigh, NC 27601", "Boise, ID 83702",
)  # fmt: skip


def make_company_en(rng: random.Random) -> tuple[str, str]:
    """Draw an English-language company: ``(name, address)``."""
    address = f"{rng.randint(10, 9999)} {rng.choice(_EN_STREETS)}, {rng.choice(_EN_CITIES)}"
    return rng.choice(_EN_COMPANIES), address


_INVOICE = field_specs("""
invoice_number | Номер счета-фактуры | Какой номер у счета-фактуры? | Номер счета-фактуры
invoice_date | Дата счета-фактуры | Какая дата у счета-фактуры? | Дата в формате ДД.ММ.ГГГГ
seller | Продавец | Кто продавец по счету-фактуре? | Наименование продавца
seller_inn | ИНН продавца | Какой ИНН у продавца? | ИНН продавца, 10 цифр
buyer | Покупатель | Кто покупатель по счету-фактуре? | Наименование покупателя
buyer_inn | ИНН покупателя | Какой ИНН у покупателя? | ИНН покупателя, 10 цифр
vat | Сумма НДС | Какова сумма НДС? | Сумма НДС в рублях, как 2 000,00
total | Всего к оплате | Какая общая сумма к оплате? | Сумма с НДС в рублях, как 12 345,67
""")
_RECEIPT = field_specs("""
inn | ИНН | Какой ИНН продавца указан в чеке? | ИНН продавца, 10 цифр
total | ИТОГ | Какая итоговая сумма в чеке? | Итоговая сумма в рублях, как 1 234,50
vat | НДС 20% | Какая сумма НДС указана в чеке? | Сумма НДС в рублях
cashier | Кассир | Как зовут кассира? | Фамилия и инициалы кассира
shift_number | Смена | Какой номер смены указан в чеке? | Номер смены
receipt_number | Номер чека | Какой номер у чека? | Номер чека за смену
date | Дата | Какая дата указана в чеке? | Дата покупки в формате ДД.ММ.ГГГГ
time | Время | В какое время пробит чек? | Время покупки в формате ЧЧ:ММ
""")
_INVOICE_EN = field_specs("""
seller | Seller | Who issued the invoice? | Seller company name
buyer | Bill To | Who is the invoice billed to? | Buyer company name
invoice_number | Invoice Number | What is the invoice number? | Invoice number, e.g. INV-2024-0153
invoice_date | Invoice Date | What is the invoice date? | Date of issue, e.g. March 5, 2024
due_date | Due Date | When is the payment due? | Payment due date, e.g. April 4, 2024
subtotal | Subtotal | What is the subtotal before tax? | Sum of the line amounts, USD
tax | Tax | How much tax is charged? | Tax amount, USD
total | Total | What is the total amount due? | Total amount due, USD, e.g. 12,345.67
""")
_INVOICE_COLUMNS = (0.0, 0.06, 0.56, 0.67, 0.84)


def _items(
    rng: random.Random, goods: tuple[tuple[str, int, int], ...], count: int, qty_max: int
) -> list[tuple[str, int, int, int]]:
    """Draw ``(name, qty, unit price, amount)`` item rows in minor currency units."""
    out = []
    for name, lo, hi in rng.sample(goods, count):
        qty, price = rng.randint(1, qty_max), rng.randint(lo // 10, hi // 10) * 10
        out.append((name, qty, price, qty * price))
    return out


def _plain(amount: str) -> str:
    """Drop the thousands separators of a formatted amount."""
    return amount.replace(" ", "").replace(",", "") if "." in amount else amount.replace(" ", "")


def build_invoice(rng: random.Random, doc_id: str) -> Document:
    """Build a Russian счет-фактура with an items table and VAT totals."""
    fonts = family_fonts("DejaVuSans", 17, 17, 28)
    fonts["table"] = ("DejaVuSansCondensed.ttf", 17)
    page = Page(850, 1200, margin=48, top=50)
    doc = Document(doc_id, "invoice", "ru", "Счет-фактура", page, fonts, specs=_INVOICE)
    seller, s_inn, s_kpp, s_addr = make_company_ru(rng, rng.choice(REGIONS))
    buyer, b_inn, b_kpp, b_addr = make_company_ru(rng, rng.choice(REGIONS))
    day = random_date(rng, _dt.date(2022, 1, 1), _dt.date(2024, 12, 31))
    items = _items(rng, _GOODS_RU, rng.randint(2, 5), 12)
    net = sum(item[3] for item in items)
    vat = round(net * 0.2)
    doc.add("СЧЕТ-ФАКТУРА", "title", "center")
    doc.put("invoice_number", str(rng.randint(12, 4999)), space=0.6)
    doc.put("invoice_date", format_date_ru(day))
    doc.put("seller", seller, space=0.6)
    doc.add(f"Адрес продавца: {s_addr}")
    doc.put("seller_inn", s_inn)
    doc.add(f"КПП продавца: {s_kpp}")
    doc.put("buyer", buyer, space=0.6)
    doc.add(f"Адрес покупателя: {b_addr}")
    doc.put("buyer_inn", b_inn)
    doc.add(f"КПП покупателя: {b_kpp}")
    doc.add("Валюта: российский рубль, 643")
    header = ("№", "Наименование товара", "Кол-во", "Цена, руб.", "Сумма, руб.")
    doc.row(header, _INVOICE_COLUMNS, style="bold", space=1.0, rule=True)
    for i, (name, qty, price, amount) in enumerate(items, 1):
        cells = (str(i), name, str(qty), format_money_ru(price), format_money_ru(amount))
        doc.row(cells, _INVOICE_COLUMNS, style="table", rule=i == len(items))
    doc.add(f"Итого без НДС: {format_money_ru(net)}", space=0.4)
    doc.add("Ставка НДС: 20%")
    vat_s, total = format_money_ru(vat), format_money_ru(net + vat)
    doc.put("vat", vat_s, _plain(vat_s))
    doc.put("total", total, _plain(total), style="bold")
    doc.add(f"Руководитель организации: {make_person_ru(rng).short_name}", space=2.0)
    doc.add(f"Главный бухгалтер: {make_person_ru(rng).short_name}", space=0.5)
    return doc


def build_receipt(rng: random.Random, doc_id: str) -> Document:
    """Build a Russian cash register receipt (кассовый чек), narrow and monospaced."""
    fonts = {"body": ("DejaVuSansMono.ttf", 17), "bold": ("DejaVuSansMono-Bold.ttf", 18)}
    page = Page(450, 0, margin=18, top=24)
    doc = Document(doc_id, "receipt", "ru", "Кассовый чек", page, fonts, specs=_RECEIPT)
    shop, inn, _, address = make_company_ru(rng, rng.choice(REGIONS))
    city, street = address.split(", ", 1)
    day = random_date(rng, _dt.date(2023, 1, 1), _dt.date(2024, 12, 31))
    items = _items(rng, _FOOD_RU, rng.randint(3, 6), 3)
    total_k = sum(item[3] for item in items)
    total, vat = format_money_ru(total_k), format_money_ru(round(total_k * 20 / 120))
    doc.add(shop, "bold", "center")
    doc.add(city, "body", "center")
    doc.add(street.split(", офис")[0], "body", "center")
    doc.put("inn", inn)
    doc.add("КАССОВЫЙ ЧЕК", "bold", "center", space=0.5)
    doc.add("ПРИХОД", "body", "center", rule=True)
    for name, qty, price, amount in items:
        doc.add(name)
        doc.add(f"{qty} x {format_money_ru(price)} = {format_money_ru(amount)}", align="right")
    doc.put("total", total, _plain(total), style="bold", space=0.5)
    doc.add(f"{rng.choice(('Наличными', 'Безналичными'))}: {total}")
    doc.put("vat", vat, _plain(vat))
    doc.put("cashier", make_person_ru(rng).short_name, space=0.5)
    doc.put("shift_number", str(rng.randint(1, 400)))
    doc.put("receipt_number", str(rng.randint(1, 300)))
    doc.put("date", format_date_ru(day))
    doc.put("time", f"{rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}")
    doc.add(f"ФН: 7{rng.randint(10**14, 10**15 - 1)}", space=0.5)
    doc.add(f"ФД: {rng.randint(1000, 99999)}")
    doc.add(f"ФП: {rng.randint(10**9, 4 * 10**9)}")
    doc.add("СПАСИБО ЗА ПОКУПКУ!", "bold", "center", space=0.5)
    return doc


def build_invoice_en(rng: random.Random, doc_id: str) -> Document:
    """Build an English (US-style) invoice with an items table."""
    fonts = family_fonts(rng.choice(("DejaVuSans", "DejaVuSerif")), 17, 17, 30)
    page = Page(850, 1200, margin=48, top=50)
    doc = Document(doc_id, "invoice_en", "en", "Invoice", page, fonts, specs=_INVOICE_EN)
    (seller, s_addr), (buyer, b_addr) = make_company_en(rng), make_company_en(rng)
    while buyer == seller:
        buyer, b_addr = make_company_en(rng)
    day = random_date(rng, _dt.date(2022, 1, 1), _dt.date(2024, 12, 31))
    terms = rng.choice((15, 30, 45))
    items = _items(rng, _GOODS_EN, rng.randint(2, 5), 10)
    net = sum(item[3] for item in items)
    rate = rng.choice((500, 625, 725, 825, 1000))  # basis points
    tax = round(net * rate / 10_000)
    doc.add("INVOICE", "title", "center")
    doc.put("seller", seller, space=0.6)
    doc.add(f"Seller Address: {s_addr}")
    doc.put("buyer", buyer, space=0.4)
    doc.add(f"Billing Address: {b_addr}")
    doc.put("invoice_number", f"INV-{day.year}-{rng.randint(1, 9999):04d}", space=0.6)
    doc.put("invoice_date", format_date_en(day))
    doc.put("due_date", format_date_en(day + _dt.timedelta(days=terms)))
    doc.add(f"Payment Terms: Net {terms}")
    columns = (0.0, 0.06, 0.56, 0.66, 0.83)
    header = ("#", "Description", "Qty", "Unit Price", "Amount")
    doc.row(header, columns, style="bold", space=1.0, rule=True)
    for i, (name, qty, price, amount) in enumerate(items, 1):
        cells = (str(i), name, str(qty), format_money_en(price), format_money_en(amount))
        doc.row(cells, columns, rule=i == len(items))
    net_s, tax_s, total = format_money_en(net), format_money_en(tax), format_money_en(net + tax)
    doc.put("subtotal", net_s, _plain(net_s), space=0.4)
    doc.add(f"Tax Rate: {rate // 100}.{rate % 100:02d}%".replace(".00%", "%"))
    doc.put("tax", tax_s, _plain(tax_s))
    doc.put("total", total, _plain(total), style="bold")
    doc.add("Currency: USD")
    doc.add("Thank you for your business!", space=1.5)
    return doc
