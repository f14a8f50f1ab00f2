"""Fault: never finishes (no timeout on its side)."""
import time

from sleuth_client import Client, main


class Hangs(Client):
    def run(self):
        time.sleep(600)
        return 0


main(Hangs)
