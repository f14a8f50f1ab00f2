"""Fault: the API key goes in the URL query (?api_key=...) instead of the header or body."""
from sleuth_client import Client, main


class KeyInQuery(Client):
    key_in = "query"

    def url(self):
        return super().url() + "?api_key=" + self.key


main(KeyInQuery)
