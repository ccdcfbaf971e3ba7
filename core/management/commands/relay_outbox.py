from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.outbox_relay import relay_outbox


class Command(BaseCommand):
    help = (
        "Hand pending outbox messages to the Celery broker now (beat does this every few "
        "seconds; use this after an outage to drain the backlog by hand)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--max-batches", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1 or options["max_batches"] < 1:
            self.stderr.write("--batch-size and --max-batches must be at least 1.")
            raise SystemExit(2)
        published = relay_outbox(
            batch_size=options["batch_size"], max_batches=options["max_batches"]
        )
        self.stdout.write(f"Published {published} outbox message(s).")
