"""Reference data of the demo: channels, teams, agents, a manager, tags, canned responses.

Everything is found by name and reused, so seeding twice does not duplicate it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from helpdesk.roles import MANAGER, OPERATOR
from tickets.demo import names
from tickets.demo.shape import CHANNELS, TAGS, TEAMS
from tickets.demo.simulate import Agent
from tickets.models import AgentProfile, CannedResponse, Channel, Tag, Team

CANNED = [
    ("greeting-ru", "Приветствие", "Здравствуйте! Меня зовут {agent}, я помогу с вашим вопросом."),
    ("greeting-en", "Greeting", "Hello! My name is {agent}, I'll help you with your question."),
    ("delivery-ru", "Задержка доставки", "Приносим извинения за задержку. Заказ уже в пути."),
    ("delivery-en", "Delivery delay", "Sorry for the delay. Your order is on its way."),
    ("refund-ru", "Возврат денег", "Возврат оформлен, деньги придут в течение 3–5 рабочих дней."),
    ("refund-en", "Refund", "Your refund is on its way and arrives within 3-5 business days."),
    ("bye-ru", "Завершение", "Рады были помочь! Если появятся вопросы, пишите."),
    ("bye-en", "Closing", "Glad we could help! Write to us any time."),
]


@dataclass
class Reference:
    channels: list[tuple[int, str]]  # (channel id, demo kind), in the order of shape.CHANNELS
    teams: dict[str, int]
    agents: dict[str, list[Agent]]  # team name -> agents
    manager: Agent
    tags: dict[str, int]


def _channels() -> list[tuple[int, str]]:
    from channels_in.services import channel_create

    found = []
    for name, kind, _weight in CHANNELS:
        channel = Channel.objects.filter(name=name).order_by("pk").first()
        if channel is None:
            channel = channel_create(kind="generic", name=name, config={"demo_kind": kind})
        found.append((channel.pk, kind))
    return found


def _user(username: str, first: str, last: str, group: Group, password_hash: str):
    User = get_user_model()
    user, _created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@shop.example",
            "password": password_hash,
        },
    )
    user.groups.add(group)
    return user


def reference_ensure(*, password: str | None = None) -> Reference:
    """Create what is missing and return ids of everything the seeder needs."""
    password_hash = make_password(password) if password else make_password(None)
    operators = Group.objects.get_or_create(name=OPERATOR)[0]
    managers = Group.objects.get_or_create(name=MANAGER)[0]
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
    agents: dict[str, list[Agent]] = {name: [] for name in TEAMS}
    for username, first, last, team_names in names.AGENTS:
        user = _user(username, first, last, operators, password_hash)
        profile, _ = AgentProfile.objects.get_or_create(user=user)
        profile.teams.add(*(teams[t] for t in team_names))
        for t in team_names:
            agents[t].append(Agent(user.pk, user.get_username(), user.first_name or username))
    username, first, last = names.MANAGER
    manager_user = _user(username, first, last, managers, password_hash)
    manager = Agent(manager_user.pk, manager_user.get_username(), manager_user.first_name)
    tags = {}
    for name, color in TAGS.items():
        tags[name] = Tag.objects.get_or_create(name=name, defaults={"color": color})[0].pk
    for shortcut, title, body in CANNED:
        team = teams["Returns"] if shortcut.startswith("refund") else None
        CannedResponse.objects.get_or_create(
            shortcut=shortcut, defaults={"title": title, "body": body, "team": team}
        )
    return Reference(
        channels=_channels(),
        teams={name: team.pk for name, team in teams.items()},
        agents=agents,
        manager=manager,
        tags=tags,
    )
