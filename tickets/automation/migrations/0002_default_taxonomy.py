"""Default taxonomy: tags, keyword rules (Russian and English) and a few knowledge-base
answers. Admins edit them afterwards; nothing is created twice."""

from django.db import migrations

from tickets.rules.taxonomy import RULES, TAGS

ARTICLES = [
    (
        "Сколько идёт доставка?",
        "сколько идет доставка, срок доставки, когда доставят, сколько дней доставка",
        "Доставка по городу занимает 1–2 дня, по России — 3–7 дней. Трек-номер приходит "
        "в SMS после отправки заказа.",
        "ru",
    ),
    (
        "Какие способы оплаты?",
        "способы оплаты, как оплатить, чем оплатить, оплата картой, оплата при получении",
        "Оплатить можно картой на сайте, через СБП или наличными курьеру при получении.",
        "ru",
    ),
    (
        "Где мой заказ? Как узнать статус заказа?",
        "статус заказа, где мой заказ, где заказ, отследить заказ",
        "Статус заказа виден в личном кабинете в разделе «Мои заказы»; там же ссылка на "
        "отслеживание посылки.",
        "ru",
    ),
    (
        "How long does delivery take?",
        "how long delivery, delivery time, when will it arrive, how many days delivery",
        "Delivery takes 1-2 days within the city and 3-7 days elsewhere. You get a tracking "
        "number by SMS once the order ships.",
        "en",
    ),
    (
        "What payment methods do you accept?",
        "payment methods, how can i pay, how to pay, pay by card, cash on delivery",
        "You can pay by card on the website, by bank transfer, or in cash to the courier.",
        "en",
    ),
    (
        "Where is my order? How do I check the order status?",
        "order status, where is my order, track my order, tracking",
        "You can see the order status under 'My orders' in your account, with a link to "
        "track the parcel.",
        "en",
    ),
]


def create(apps, schema_editor):
    Tag = apps.get_model("tickets", "Tag")
    Rule = apps.get_model("automation", "Rule")
    KnowledgeArticle = apps.get_model("automation", "KnowledgeArticle")
    for name, color in TAGS.items():
        Tag.objects.get_or_create(name=name, defaults={"color": color})
    if not Rule.objects.exists():
        for i, (name, trigger, conditions, actions) in enumerate(RULES):
            Rule.objects.create(
                name=name,
                position=(i + 1) * 10,
                trigger=trigger,
                conditions=conditions,
                actions=actions,
            )
    if not KnowledgeArticle.objects.exists():
        for question, keywords, answer, language in ARTICLES:
            KnowledgeArticle.objects.create(
                question=question, keywords=keywords, answer=answer, language=language
            )


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
        ("tickets", "0002_tag_colour_validator"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
