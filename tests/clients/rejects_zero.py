"""Fault: 0 is refused client-side, like Go validator `required` (gogen / gosrvlib)."""
import math

from sleuth_client import Client, main


class RejectsZero(Client):
    def refuses(self, value):
        return not math.isfinite(value) or value == 0


main(RejectsZero)
