"""Fault: NaN and infinities are sent (Python json writes bare NaN / Infinity tokens) instead of refused."""
from sleuth_client import Client, main


class SendsNan(Client):
    def refuses(self, value):
        return False


main(SendsNan)
