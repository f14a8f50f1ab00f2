"""Fault: the JSON body is labelled Content-Type: text/plain."""
from sleuth_client import Client, main


class TextPlain(Client):
    def content_type(self):
        return "text/plain"


main(TextPlain)
