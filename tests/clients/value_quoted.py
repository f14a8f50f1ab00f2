"""Fault: the value is sent as a JSON string ("1.5"), not a number."""
from sleuth_client import Client, main


class Quoted(Client):
    def encode_value(self, value):
        return repr(value)


main(Quoted)
