"""First start of `make run`: demo data if the database is empty, an admin, a printed login."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from helpdesk.roles import ADMIN
from tickets.models import AgentProfile, Team, Ticket

LOGIN_FILE = "demo-login.txt"


class Command(BaseCommand):
    help = "Seed a small demo when the database has no tickets, ensure an admin, print the login."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=400)
        parser.add_argument("--username", default="admin")

    def handle(self, *args, tickets: int, username: str, **options):
        if not Ticket.objects.exists() and tickets > 0:
            from tickets.demo import seed_demo

            self.stdout.write(f"Empty database: seeding {tickets} demo tickets...")
            seed_demo(tickets=tickets)
        password = self._ensure_admin(username)
        url = settings.PUBLIC_BASE_URL
        self.stdout.write(self.style.SUCCESS("\n  Help desk is ready."))
        self.stdout.write(f"  Open {url}/ and log in as  {username} / {password}")
        self.stdout.write(f"  Admin pages: {url}/admin/   API docs: {url}/api/docs/\n")

    def _ensure_admin(self, username: str) -> str:
        login_file = settings.VAR_DIR / LOGIN_FILE
        User = get_user_model()
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            if user is not None and login_file.exists():
                return login_file.read_text().strip()
            password = secrets.token_urlsafe(12)
            if user is None:
                user = User(username=username, first_name="Admin", email="admin@example.com")
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get_or_create(name=ADMIN)[0])
            profile, _ = AgentProfile.objects.get_or_create(user=user)
            profile.teams.add(*Team.objects.all())
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        login_file.write_text(password + "\n")
        login_file.chmod(0o600)
        return password
