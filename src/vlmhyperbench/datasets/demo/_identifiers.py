"""Russian identifiers with valid checksums, money and date formatting.

Every generator takes a :class:`random.Random` so that the demo dataset is
reproducible from a single seed; nothing here touches the global RNG.
"""

from __future__ import annotations

import datetime as _dt
import random
from dataclasses import dataclass

__all__ = [
    "INN10_WEIGHTS",
    "INN12_WEIGHTS_1",
    "INN12_WEIGHTS_2",
    "REGIONS",
    "Person",
    "Region",
    "format_date_en",
    "format_date_ru",
    "format_money_en",
    "format_money_ru",
    "inn10_check",
    "inn10_control",
    "inn12_check",
    "inn12_control",
    "make_company_ru",
    "make_inn10",
    "make_inn12",
    "make_kpp",
    "make_person_ru",
    "make_snils",
    "random_date",
    "snils_check",
    "snils_control",
]

INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
"""FNS weights of the control digit of a 10-digit (company) INN."""
INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
"""FNS weights of the 11th digit of a 12-digit (person) INN."""
INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
"""FNS weights of the 12th digit of a 12-digit (person) INN."""

_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    """Return ``sum(w * d) % 11 % 10`` over the leading digits."""
    return sum(w * int(d) for w, d in zip(weights, digits, strict=False)) % 11 % 10


def inn10_control(first9: str) -> str:
    """Compute the control digit of a company INN.

    Args:
        first9: The first nine digits.

    Returns:
        The tenth digit as a one-character string.
    """
    return str(_weighted(first9, INN10_WEIGHTS))


def inn12_control(first10: str) -> str:
    """Compute the two control digits of a person INN.

    Args:
        first10: The first ten digits.

    Returns:
        The 11th and 12th digits as a two-character string.
    """
    d11 = str(_weighted(first10, INN12_WEIGHTS_1))
    return d11 + str(_weighted(first10 + d11, INN12_WEIGHTS_2))


def inn10_check(inn: str) -> bool:
    """Tell whether ``inn`` is a 10-digit INN with a valid control digit."""
    return len(inn) == 10 and inn.isdigit() and inn[9] == inn10_control(inn[:9])


def inn12_check(inn: str) -> bool:
    """Tell whether ``inn`` is a 12-digit INN with valid control digits."""
    return len(inn) == 12 and inn.isdigit() and inn[10:] == inn12_control(inn[:10])


def snils_control(digits9: str) -> str:
    """Compute the two control digits of a SNILS number.

    The sum of ``digit * weight`` with weights 9..1 is reduced: below 100 it
    is the control number itself, 100 and 101 give ``00``, above 101 it is
    taken modulo 101 and the same rule applies.

    Args:
        digits9: The nine digits of the number without separators.

    Returns:
        The control number as a two-character string.
    """
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits9))
    if total > 101:
        total %= 101
    return "00" if total in (100, 101) else f"{total:02d}"


def snils_check(snils: str) -> bool:
    """Tell whether a SNILS (``123-456-789 01`` or bare 11 digits) is valid."""
    digits = "".join(ch for ch in snils if ch.isdigit())
    return len(digits) == 11 and digits[9:] == snils_control(digits[:9])


def _digits(rng: random.Random, n: int) -> str:
    """Return ``n`` random decimal digits."""
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _office(rng: random.Random, region: str | None) -> str:
    """Return the 4-digit tax office code ``region`` or draw one."""
    return (region or f"{rng.randint(1, 99):02d}{rng.randint(1, 99):02d}")[:4]


def make_inn10(rng: random.Random, region: str | None = None) -> str:
    """Generate a valid 10-digit company INN, optionally in tax office ``region`` (4 digits)."""
    first9 = _office(rng, region) + _digits(rng, 5)
    return first9 + inn10_control(first9)


def make_inn12(rng: random.Random, region: str | None = None) -> str:
    """Generate a valid 12-digit person INN, optionally in tax office ``region`` (4 digits)."""
    first10 = _office(rng, region) + _digits(rng, 6)
    return first10 + inn12_control(first10)


def make_kpp(rng: random.Random, inn10: str) -> str:
    """Generate a KPP matching the tax office of ``inn10`` (reason code 01)."""
    return inn10[:4] + "01" + f"{rng.randint(1, 3):03d}"


def make_snils(rng: random.Random) -> str:
    """Generate a valid SNILS formatted as ``123-456-789 01``."""
    # Numbers up to 001-001-998 have no control digits; stay well above them.
    body = f"{rng.randint(2, 999):03d}" + _digits(rng, 6)
    return f"{body[:3]}-{body[3:6]}-{body[6:]} {snils_control(body)}"


def random_date(rng: random.Random, start: _dt.date, end: _dt.date) -> _dt.date:
    """Return a uniformly drawn date in ``[start, end]``."""
    return start + _dt.timedelta(days=rng.randint(0, (end - start).days))


def format_date_ru(day: _dt.date) -> str:
    """Format a date as ``DD.MM.YYYY``."""
    return day.strftime("%d.%m.%Y")


def format_date_en(day: _dt.date) -> str:
    """Format a date as ``March 5, 2024`` (locale-independent)."""
    return f"{_MONTHS_EN[day.month - 1]} {day.day}, {day.year}"


def format_money_ru(kopecks: int) -> str:
    """Format an amount in kopecks as ``12 345,67`` (space-separated thousands)."""
    return f"{kopecks // 100:,}".replace(",", " ") + f",{kopecks % 100:02d}"


def format_money_en(cents: int) -> str:
    """Format an amount in cents as ``12,345.67``."""
    return f"{cents // 100:,}.{cents % 100:02d}"


@dataclass(frozen=True)
class Region:
    """A Russian region with the codes that identifiers derived from it share."""

    okato: str
    """Two leading digits of a passport series issued there."""
    code: str
    """Two-digit subject code (INN, KPP, department code prefix)."""
    city: str
    """City name in the nominative, e.g. ``г. Москва``."""
    police: str
    """Passport issuing authority."""
    city_dative: str
    """City in the dative, for ``Инспекция ФНС России № 15 по г. Москве``."""


REGIONS: tuple[Region, ...] = (
    Region("45", "77", "г. Москва", "ГУ МВД России по г. Москве", "г. Москве"),
    Region("40", "78", "г. Санкт-Петербург", "ГУ МВД России по г. Санкт-Петербургу",
           "г. Санкт-Петербургу"),
    Region("50", "54", "г. Новосибирск", "ГУ МВД России по Новосибирской обл.",
           "г. Новосибирску"),
    Region("65", "66", "г. Екатеринбург", "ГУ МВД России по Свердловской обл.",
           "г. Екатеринбургу"),
    Region("92", "16", "г. Казань", "МВД по Республике Татарстан", "г. Казани"),
    Region("22", "52", "г. Нижний Новгород", "ГУ МВД России по Нижегородской обл.",
           "г. Нижнему Новгороду"),
    Region("36", "63", "г. Самара", "ГУ МВД России по Самарской обл.", "г. Самаре"),
    Region("03", "23", "г. Краснодар", "ГУ МВД России по Краснодарскому краю",
           "г. Краснодару"),
)  # fmt: skip

_SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Морозов", "Волков", "Алексеев", "Лебедев", "Семенов", "Егоров", "Павлов", "Козлов",
    "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Сергеев", "Белов", "Тарасов", "Ковалевский",
    "Новицкий", "Шевченко", "Бондаренко", "Медведев", "Калинин", "Гусев", "Титов",
)  # fmt: skip
_MALE = (
    ("Александр", "Александрович", "Александровна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Сергей", "Сергеевич", "Сергеевна"), ("Иван", "Иванович", "Ивановна"),
    ("Михаил", "Михайлович", "Михайловна"), ("Николай", "Николаевич", "Николаевна"),
    ("Владимир", "Владимирович", "Владимировна"), ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Павел", "Павлович", "Павловна"), ("Олег", "Олегович", "Олеговна"),
    ("Игорь", "Игоревич", "Игоревна"), ("Юрий", "Юрьевич", "Юрьевна"),
    ("Виктор", "Викторович", "Викторовна"), ("Максим", "Максимович", "Максимовна"),
    ("Илья", "Ильич", "Ильинична"), ("Никита", "Никитич", "Никитична"),
    ("Константин", "Константинович", "Константиновна"), ("Роман", "Романович", "Романовна"),
)  # fmt: skip
_FEMALE = (
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Екатерина", "Светлана",
    "Юлия", "Анастасия", "Марина", "Дарья", "Ксения", "Галина", "Людмила", "Вера", "Надежда",
    "Полина", "Софья",
)  # fmt: skip
_RU_COMPANY_NAMES = (
    "Ромашка", "Вектор", "ТехноСнаб", "Альфа-Трейд", "СтройМастер", "Горизонт", "Меридиан",
    "Лотос", "Кристалл", "Импульс", "ПромРесурс", "Орион", "Зенит", "Глобус", "Северный путь",
    "Офис-Сервис", "Восход", "Радуга",
)  # fmt: skip
_RU_STREETS = (
    "ул. Ленина", "ул. Гагарина", "пр-т Мира", "ул. Садовая", "ул. Лесная",
    "ул. Советская", "ул. Пушкина", "ул. Молодежная", "пер. Школьный", "ул. Заводская",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    """A Russian full name with the grammatical sex it agrees with."""

    surname: str
    name: str
    patronymic: str
    male: bool

    @property
    def full_name(self) -> str:
        """``Фамилия Имя Отчество``."""
        return f"{self.surname} {self.name} {self.patronymic}"

    @property
    def short_name(self) -> str:
        """``Фамилия И. О.``."""
        return f"{self.surname} {self.name[0]}. {self.patronymic[0]}."


def _feminine(surname: str) -> str:
    """Return the feminine form of a masculine Russian surname."""
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ев", "ин", "ын")):
        return surname + "а"
    return surname


def make_person_ru(rng: random.Random) -> Person:
    """Draw a Russian person with a matching surname, name and patronymic."""
    male = rng.random() < 0.5
    surname = rng.choice(_SURNAMES)
    father = rng.choice(_MALE)
    if male:
        return Person(surname, rng.choice(_MALE)[0], father[1], True)
    return Person(_feminine(surname), rng.choice(_FEMALE), father[2], False)


def make_company_ru(rng: random.Random, region: Region) -> tuple[str, str, str, str]:
    """Draw a Russian company.

    Args:
        rng: Source of randomness.
        region: Region of registration (INN/KPP prefix and address city).

    Returns:
        ``(name, inn10, kpp, address)``.
    """
    form = rng.choice(("ООО", "ООО", "АО", "ПАО"))
    name = f"{form} «{rng.choice(_RU_COMPANY_NAMES)}»"
    inn = make_inn10(rng, region.code + f"{rng.randint(1, 30):02d}")
    address = f"{region.city}, {rng.choice(_RU_STREETS)}, д. {rng.randint(1, 120)}"
    if rng.random() < 0.5:
        address += f", офис {rng.randint(1, 40) * 10 + rng.randint(1, 9)}"
    return name, inn, make_kpp(rng, inn), address
