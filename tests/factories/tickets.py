import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from tickets.models import (
    AgentProfile,
    Channel,
    Customer,
    CustomerIdentity,
    Message,
    Tag,
    Team,
    Ticket,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "s3cret-pass-word")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.add(Group.objects.get_or_create(name=extracted)[0])
            if extracted == "admin":
                obj.is_staff = True
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory, role="operator")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    kind = "generic"
    name = factory.Sequence(lambda n: f"Bridge {n}")
    secret = factory.Sequence(lambda n: f"channel-secret-{n}")
    config = factory.LazyFunction(dict)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.org")


class CustomerIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIdentity

    customer = factory.SubFactory(CustomerFactory)
    channel = factory.SubFactory(ChannelFactory)
    external_id = factory.Sequence(lambda n: f"user-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Faker("sentence", nb_words=5)
    customer = factory.SubFactory(CustomerFactory)
    channel = factory.SubFactory(ChannelFactory)
    first_customer_message_at = factory.LazyFunction(timezone.now)
    last_customer_message_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    channel = factory.LazyAttribute(lambda m: m.ticket.channel)
    direction = "in"
    author_kind = "customer"
    text = factory.Faker("paragraph")
    external_id = factory.Sequence(lambda n: f"ext-{n}")
