"""Fault: a 401 is reported as success (exit 0)."""
from sleuth_client import Client, main


class ZeroOn401(Client):
    def exit_code(self, status):
        return 0 if status in (200, 401) else 1


main(ZeroOn401)
