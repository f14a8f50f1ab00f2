"""Fault: the date uses a space instead of T (the instant and offset are kept)."""
from datetime import datetime

from sleuth_client import Client, main


class SpaceDate(Client):
    def encode_date(self, date):
        return datetime.fromisoformat(date).isoformat(sep=" ")


main(SpaceDate)
