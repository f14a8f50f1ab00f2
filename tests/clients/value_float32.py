"""Fault: the value goes through a 32-bit float."""
import ctypes

from sleuth_client import Client, main


class Float32(Client):
    def encode_value(self, value):
        return ctypes.c_float(value).value


main(Float32)
