"""Fault: PUT instead of POST."""
from sleuth_client import Client, main


class Put(Client):
    def method(self):
        return "PUT"


main(Put)
