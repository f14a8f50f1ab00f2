"""Fault: 400, 401 and 404 are retried once, at once (a generic retry-on-error policy)."""
from sleuth_client import Client, main


class RetriesRefusals(Client):
    def retry_delay(self, status, headers, sent):
        if status in (400, 401, 404) and sent == 1:
            return 0
        return super().retry_delay(status, headers, sent)


main(RetriesRefusals)
