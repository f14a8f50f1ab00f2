"""Fault: the value is rounded to 6 significant digits (printf %g)."""
from sleuth_client import Client, main


class Rounded(Client):
    def encode_value(self, value):
        return float(f"{value:.6g}")


main(Rounded)
