"""Fault: a 429 is retried up to 3 times (each after Retry-After), like gogen httpretrier."""
from sleuth_client import Client, main


class Storm(Client):
    def retry_delay(self, status, headers, sent):
        if status == 429 and sent < 4:
            return int(headers.get("Retry-After") or 1)
        return None


main(Storm)
