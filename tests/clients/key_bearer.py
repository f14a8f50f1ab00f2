"""Fault: Authorization: Bearer <KEY> instead of apikey <KEY> (as sleuth-client does)."""
from sleuth_client import Client, main


class Bearer(Client):
    def headers(self):
        h = super().headers()
        h["Authorization"] = f"Bearer {self.key}"
        return h


main(Bearer)
