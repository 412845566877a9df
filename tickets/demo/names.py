"""Customer and agent names for demo data: Russian and English, with Latin spellings."""

from __future__ import annotations

RU_MALE = [
    "Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл",
    "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван", "Павел", "Владимир", "Денис",
]  # fmt: skip
RU_FEMALE = [
    "Анна", "Мария", "Елена", "Ольга", "Наталья", "Екатерина", "Татьяна", "Ирина", "Светлана",
    "Юлия", "Дарья", "Алина", "Ксения", "Полина", "Виктория", "Софья", "Марина", "Вера",
]  # fmt: skip
# Surnames in the masculine form; the feminine one adds "а" (Иванов -> Иванова).
RU_LAST = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
]  # fmt: skip
EN_FIRST = [
    "James", "Oliver", "William", "Henry", "Jack", "Thomas", "Daniel", "Michael", "David",
    "Emma", "Olivia", "Amelia", "Sophia", "Isabella", "Charlotte", "Emily", "Grace", "Lucy",
    "Chloe", "Hannah", "Ethan", "Noah", "Liam", "Mia",
]  # fmt: skip
EN_LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Anderson", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Hall", "Young", "King", "Wright",
]  # fmt: skip

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip


def latin(name: str) -> str:
    """A lower-case Latin spelling of a Russian or English name, for logins and addresses."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in name.lower())


def random_name(rng, lang: str) -> tuple[str, str]:
    """(first, last) for a customer speaking `lang` ("ru" or "en")."""
    if lang == "ru":
        if rng.random() < 0.5:
            return rng.choice(RU_MALE), rng.choice(RU_LAST)
        return rng.choice(RU_FEMALE), rng.choice(RU_LAST) + "а"
    return rng.choice(EN_FIRST), rng.choice(EN_LAST)


# (username, first name, last name, teams); the manager is separate.
AGENTS = [
    ("anna.petrova", "Анна", "Петрова", ["Support"]),
    ("ivan.sokolov", "Иван", "Соколов", ["Support"]),
    ("olga.morozova", "Ольга", "Морозова", ["Support", "Returns"]),
    ("kate.miller", "Kate", "Miller", ["Support"]),
    ("dmitry.volkov", "Дмитрий", "Волков", ["Support", "Billing"]),
    ("elena.orlova", "Елена", "Орлова", ["Billing"]),
    ("tom.harris", "Tom", "Harris", ["Billing"]),
    ("sergey.egorov", "Сергей", "Егоров", ["Returns"]),
    ("lucy.clark", "Lucy", "Clark", ["Returns", "Support"]),
]
MANAGER = ("maria.lebedeva", "Мария", "Лебедева")
