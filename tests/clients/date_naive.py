"""Fault: the date is converted to UTC and its offset dropped (like datetime.utcnow().isoformat())."""
from datetime import datetime, timezone

from sleuth_client import Client, main


class NaiveDate(Client):
    def encode_date(self, date):
        return datetime.fromisoformat(date).astimezone(timezone.utc).replace(tzinfo=None).isoformat()


main(NaiveDate)
