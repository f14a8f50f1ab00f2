"""Fault: a 429 is retried once at once, ignoring Retry-After."""
from sleuth_client import Client, main


class RetriesEarly(Client):
    def retry_delay(self, status, headers, sent):
        return 0 if status == 429 and sent == 1 else None


main(RetriesEarly)
