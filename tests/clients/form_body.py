"""Fault: a form-encoded body, as older versions of the page documented."""
import urllib.parse

from sleuth_client import Client, main


class FormBody(Client):
    def content_type(self):
        return "application/x-www-form-urlencoded"

    def body(self):
        return urllib.parse.urlencode(self.fields()).encode()


main(FormBody)
