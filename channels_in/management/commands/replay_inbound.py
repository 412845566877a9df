"""`manage.py replay_inbound`: the issue's name for re-running failed journal rows.

Same options and behaviour as `reprocess_inbound` (one implementation, two names).
"""

from channels_in.management.commands.reprocess_inbound import Command as ReprocessCommand


class Command(ReprocessCommand):
    help = "Re-run failed (or, with --include-received, unprocessed) inbound journal rows."
