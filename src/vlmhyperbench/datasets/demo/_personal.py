"""Russian personal documents: internal passport, SNILS card, INN certificate."""

from __future__ import annotations

import datetime as _dt
import random

from ._documents import Document, Page, family_fonts, field_specs
from ._identifiers import (
    REGIONS,
    format_date_ru,
    make_inn12,
    make_person_ru,
    make_snils,
    random_date,
)

__all__ = ["build_inn", "build_passport", "build_snils"]

_SEX_RU = {True: ("мужской", "МУЖ."), False: ("женский", "ЖЕН.")}

_PASSPORT = field_specs("""
series_number | Серия и номер | Какие серия и номер паспорта? | Серия и номер, как 45 12 345678
issue_date | Дата выдачи | Когда выдан паспорт? | Дата выдачи в формате ДД.ММ.ГГГГ
department_code | Код подразделения | Какой код подразделения указан в паспорте? | Как 770-001
surname | Фамилия | Какая фамилия указана в паспорте? | Фамилия прописными буквами
name | Имя | Какое имя указано в паспорте? | Имя прописными буквами
patronymic | Отчество | Какое отчество указано в паспорте? | Отчество прописными буквами
birth_date | Дата рождения | Какая дата рождения указана в паспорте? | В формате ДД.ММ.ГГГГ
birth_place | Место рождения | Какое место рождения указано в паспорте? | Прописными буквами
""")
_SNILS = field_specs("""
snils_number | СНИЛС | Какой номер СНИЛС указан в документе? | Номер как 123-456-789 01
surname | Фамилия | Какая фамилия указана в СНИЛС? | Фамилия застрахованного лица
name | Имя | Какое имя указано в СНИЛС? | Имя застрахованного лица
patronymic | Отчество | Какое отчество указано в СНИЛС? | Отчество застрахованного лица
birth_date | Дата рождения | Какая дата рождения указана в СНИЛС? | В формате ДД.ММ.ГГГГ
birth_place | Место рождения | Какое место рождения указано в СНИЛС? | Город рождения
sex | Пол | Какой пол указан в СНИЛС? | мужской или женский
registration_date | Дата регистрации | Какая дата регистрации указана в СНИЛС? | ДД.ММ.ГГГГ
""")
_INN = field_specs("""
certificate_number | Серия и номер свидетельства | Какой номер у свидетельства? | Как 77 012345678
full_name | Фамилия, имя, отчество | Чье это свидетельство? Назови ФИО. | ФИО физического лица
birth_date | Дата рождения | Какая дата рождения указана в свидетельстве? | ДД.ММ.ГГГГ
birth_place | Место рождения | Какое место рождения указано в свидетельстве? | Город рождения
registration_date | Дата постановки на учет | Когда лицо поставлено на учет? | ДД.ММ.ГГГГ
tax_office | Налоговый орган | Какой налоговый орган указан в свидетельстве? | Инспекция ФНС
tax_office_code | Код налогового органа | Какой код налогового органа указан? | Четыре цифры
inn | ИНН | Какой ИНН присвоен физическому лицу? | ИНН физического лица, 12 цифр
""")


def _birth(rng: random.Random) -> _dt.date:
    """Draw a birth date of an adult."""
    return random_date(rng, _dt.date(1955, 1, 1), _dt.date(2005, 12, 31))


def build_passport(rng: random.Random, doc_id: str) -> Document:
    """Build a Russian internal passport data page (card layout, upper case values)."""
    fonts = family_fonts(rng.choice(("DejaVuSerif", "DejaVuSans")), 19, 21, 26)
    page = Page(900, 600, margin=36, top=28, text_left=230, background=238, frame=True, photo=True)
    title = "Паспорт гражданина Российской Федерации"
    doc = Document(doc_id, "passport", "ru", title, page, fonts, specs=_PASSPORT)
    person, region, birth = make_person_ru(rng), rng.choice(REGIONS), _birth(rng)
    age = max(a for a in (14, 20, 45) if birth.year + a <= 2024)
    issued = _dt.date(birth.year + age, birth.month, min(birth.day, 28))
    issued += _dt.timedelta(days=rng.randint(3, 60))
    series, number = f"{region.okato} {issued.year % 100:02d}", str(rng.randint(100000, 999999))
    packed = series.replace(" ", "")
    doc.add("РОССИЙСКАЯ ФЕДЕРАЦИЯ", "title", "center")
    doc.add("ПАСПОРТ ГРАЖДАНИНА", "bold", "center", rule=True)
    doc.put("series_number", f"{series} {number}", f"{packed} {number}", packed + number, space=0.3)
    doc.add(f"Паспорт выдан: {region.police}")
    doc.put("issue_date", format_date_ru(issued))
    doc.put("department_code", f"{region.code}{rng.choice('0123')}-{rng.randint(1, 120):03d}")
    doc.put("surname", person.surname.upper(), space=0.3)
    doc.put("name", person.name.upper())
    doc.put("patronymic", person.patronymic.upper())
    doc.add(f"Пол: {_SEX_RU[person.male][1]}")
    doc.put("birth_date", format_date_ru(birth))
    doc.put("birth_place", region.city.upper())
    return doc


def build_snils(rng: random.Random, doc_id: str) -> Document:
    """Build a SNILS card (insurance certificate of the pension fund)."""
    fonts = family_fonts("DejaVuSans", 19, 20, 25)
    fonts["number"] = ("DejaVuSansMono-Bold.ttf", 26)
    page = Page(900, 600, margin=48, top=30, background=238, frame=True)
    title = "Страховое свидетельство (СНИЛС)"
    doc = Document(doc_id, "snils", "ru", title, page, fonts, specs=_SNILS)
    person, region, birth = make_person_ru(rng), rng.choice(REGIONS), _birth(rng)
    first = max(birth + _dt.timedelta(days=30), _dt.date(1996, 1, 1))
    registered = random_date(rng, first, _dt.date(2024, 6, 30))
    snils = make_snils(rng)
    doc.add("СТРАХОВОЕ СВИДЕТЕЛЬСТВО", "title", "center")
    doc.add("ОБЯЗАТЕЛЬНОГО ПЕНСИОННОГО СТРАХОВАНИЯ", "bold", "center", rule=True)
    digits = snils.replace("-", "").replace(" ", "")
    doc.put("snils_number", snils, digits, style="number", space=0.4)
    doc.put("surname", person.surname, space=0.3)
    doc.put("name", person.name)
    doc.put("patronymic", person.patronymic)
    doc.put("birth_date", format_date_ru(birth))
    doc.put("birth_place", region.city)
    doc.put("sex", _SEX_RU[person.male][0])
    doc.put("registration_date", format_date_ru(registered))
    return doc


def build_inn(rng: random.Random, doc_id: str) -> Document:
    """Build a certificate of tax registration of a person (свидетельство ИНН)."""
    fonts = family_fonts(rng.choice(("DejaVuSerif", "DejaVuSans")), 18, 20, 30)
    title = "Свидетельство о постановке на учет (ИНН)"
    page = Page(850, 1200, margin=60, top=70)
    doc = Document(doc_id, "inn", "ru", title, page, fonts, specs=_INN)
    person, region, birth = make_person_ru(rng), rng.choice(REGIONS), _birth(rng)
    office = f"{region.code}{rng.randint(1, 36):02d}"
    inn = make_inn12(rng, office)
    first = max(birth + _dt.timedelta(days=5000), _dt.date(1999, 1, 1))
    registered = random_date(rng, first, _dt.date(2024, 6, 30))
    cert = f"{region.code} {rng.randint(1, 99_999_999):09d}"
    doc.add("ФЕДЕРАЛЬНАЯ НАЛОГОВАЯ СЛУЖБА", "bold", "center")
    doc.add("СВИДЕТЕЛЬСТВО", "title", "center", space=0.8)
    doc.add("о постановке на учет физического лица", "body", "center")
    doc.add("в налоговом органе", "body", "center", rule=True)
    doc.put("certificate_number", cert, cert.replace(" ", ""), space=1.0)
    doc.put("full_name", person.full_name, space=0.6)
    doc.add(f"Пол: {_SEX_RU[person.male][0]}")
    doc.put("birth_date", format_date_ru(birth))
    doc.put("birth_place", region.city)
    doc.add("поставлен(а) на учет в соответствии с Налоговым кодексом", space=0.6)
    doc.add("Российской Федерации в налоговом органе по месту жительства")
    doc.put("registration_date", format_date_ru(registered))
    doc.put("tax_office", f"Инспекция ФНС России № {int(office[2:])} по {region.city_dative}")
    doc.put("tax_office_code", office)
    doc.add("и ему (ей) присвоен идентификационный номер налогоплательщика", space=0.6)
    doc.put("inn", inn, style="bold", space=0.3)
    doc.add("Начальник инспекции", space=2.0)
    doc.add(make_person_ru(rng).short_name)
    doc.add("М. П.", space=0.5)
    return doc
