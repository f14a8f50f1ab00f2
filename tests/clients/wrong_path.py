"""Fault: a trailing slash on the path (/register_impact/)."""
from sleuth_client import Client, main


class TrailingSlash(Client):
    def url(self):
        return super().url() + "/"


main(TrailingSlash)
