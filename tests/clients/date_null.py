"""Fault: without a date it sends "date": null instead of leaving the field out."""
from sleuth_client import Client, main


class NullDate(Client):
    def fields(self):
        f = super().fields()
        f.setdefault("date", None)
        return f


main(NullDate)
