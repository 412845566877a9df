"""Names in an import file → rows: channels, agents, teams, tags and customers.

One `Resolver` lives for a whole import and caches every lookup, so a 100,000-line file
costs a handful of queries per batch, not per line. Agents, teams, tags and channels a file
names but the help desk does not know are created (and listed in the summary); customers
are matched with the CRM rules (tickets.services.crm: external id, then email, then
phone) and created in bulk with their batch.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q

from helpdesk.roles import OPERATOR
from tickets.models import AgentProfile, Channel, ChannelKind, Customer, Tag, Team
from tickets.transfer.schema import CustomerRecord, LineError

KINDS = {k.value: k for k in ChannelKind}


def channel_label(channel: Channel) -> str:
    """How the export names a channel: "<kind>:<name>" (read back by `Resolver.channel`)."""
    return f"{channel.kind}:{channel.name}"


class Resolver:
    def __init__(self) -> None:
        self.channels_by_name: dict[str, Channel] = {}
        self.channels_by_kind: dict[str, Channel] = {}
        for channel in Channel.objects.order_by("pk"):
            self.channels_by_name.setdefault(channel.name.casefold(), channel)
            self.channels_by_kind.setdefault(channel.kind, channel)
        self.channel_cache: dict[str, Channel] = {}
        self.tags = dict(Tag.objects.values_list("name", "pk"))
        self.teams = dict(Team.objects.values_list("name", "pk"))
        self.agents: dict[str, int] = {}
        self.by_external: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        # customer id → its CRM id ("" when none), for the "no conflicting CRM id" rule
        self.customer_external: dict[int, str] = {}
        self.created_channels: list[str] = []
        self.created_agents: list[str] = []
        self.created_tags: list[str] = []
        self.created_teams: list[str] = []
        self.skip_fk_checks = False

    # --- channels -------------------------------------------------------------------------

    def channel(self, value: str) -> Channel:
        """A channel name (exact, any case) → that channel; "<kind>:<name>" → the channel of
        that kind and name, created when missing; a kind → the first channel of that kind,
        or a new "Imported <kind>" channel. Anything else is refused."""
        key = value.casefold()
        if key in self.channel_cache:
            return self.channel_cache[key]
        channel = self.channels_by_name.get(key)
        if channel is None:
            kind, sep, name = value.partition(":")
            kind = kind.strip().casefold()
            if sep and kind in KINDS and name.strip():
                channel = Channel.objects.filter(kind=kind, name__iexact=name.strip()).first()
                if channel is None:
                    channel = self._create_channel(kind, name.strip())
            elif not sep and key in KINDS:
                channel = self.channels_by_kind.get(key)
                if channel is None:
                    channel = self._create_channel(key, f"Imported {KINDS[key].label}")
            else:
                raise LineError(f"unknown channel {value[:60]!r} (a kind, a name or kind:name)")
        self.channel_cache[key] = channel
        return channel

    def _create_channel(self, kind: str, name: str) -> Channel:
        # Inactive: it holds history; no messenger posts to it until an admin configures it.
        channel = Channel.objects.create(
            kind=kind,
            name=name[:120],
            secret=secrets.token_urlsafe(32),
            is_active=False,
            config={"imported": True},
        )
        self.channels_by_name.setdefault(channel.name.casefold(), channel)
        self.channels_by_kind.setdefault(kind, channel)
        self.created_channels.append(channel_label(channel))
        return channel

    # --- agents, teams, tags --------------------------------------------------------------

    def load_agents(self, logins: set[str]) -> None:
        """Known users by login; unknown ones become operators with an unusable password."""
        missing = {name for name in logins if name not in self.agents}
        if not missing:
            return
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        for pk, name in user_model.objects.filter(**{f"{field}__in": missing}).values_list(
            "pk", field
        ):
            self.agents[name] = pk
        new = sorted(missing - set(self.agents))
        if not new:
            return
        group, _ = Group.objects.get_or_create(name=OPERATOR)
        for name in new:
            user = user_model(**{field: name})
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
            AgentProfile.objects.get_or_create(user=user)
            self.agents[name] = user.pk
            self.created_agents.append(name)

    def agent(self, login: str) -> int | None:
        return self.agents.get(login) if login else None

    def team(self, name: str) -> int | None:
        if not name:
            return None
        if name not in self.teams:
            self.teams[name] = Team.objects.get_or_create(name=name)[0].pk
            self.created_teams.append(name)
        return self.teams[name]

    def tag_ids(self, names: list[str]) -> list[int]:
        new = [n for n in names if n not in self.tags]
        if new:
            Tag.objects.bulk_create([Tag(name=n) for n in new], ignore_conflicts=True)
            for name, pk in Tag.objects.filter(name__in=new).values_list("name", "pk"):
                self.tags[name] = pk
            self.created_tags.extend(new)
        return [self.tags[n] for n in names]

    # --- customers ------------------------------------------------------------------------

    def load_customers(self, records: list[CustomerRecord]) -> None:
        """One query for the batch's customers not seen yet (merged and erased ones never
        match)."""
        ext = {r.external_id for r in records if r.external_id} - set(self.by_external)
        emails = {r.email for r in records if r.email} - set(self.by_email)
        phones = {r.phone for r in records if r.phone} - set(self.by_phone)
        if not (ext or emails or phones):
            return
        q = Q(pk__in=[])
        if ext:
            q |= Q(external_id__in=ext)
        if emails:
            q |= Q(email__in=emails)
        if phones:
            q |= Q(phone__in=phones)
        rows = (
            Customer.objects.filter(q, merged_into__isnull=True, erased_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "external_id", "email", "phone")
        )
        for pk, external_id, email, phone in rows:
            self.remember(pk, external_id, email.lower(), phone)

    def remember(self, pk: int, external_id: str, email: str, phone: str) -> None:
        self.customer_external[pk] = external_id
        if external_id:
            self.by_external.setdefault(external_id, pk)
        if email:
            self.by_email.setdefault(email, pk)
        if phone:
            self.by_phone.setdefault(phone, pk)

    def customer(self, record: CustomerRecord) -> int | None:
        """The matching customer id, or None (the caller creates one)."""
        if record.external_id and record.external_id in self.by_external:
            return self.by_external[record.external_id]
        for table, key in ((self.by_email, record.email), (self.by_phone, record.phone)):
            pk = table.get(key) if key else None
            if pk is None:
                continue
            # A customer known to the CRM under another id is another person.
            known = self.customer_external.get(pk, "")
            if not record.external_id or not known or known == record.external_id:
                return pk
        return None
