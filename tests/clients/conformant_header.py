"""Conformant: key in the Authorization header; on 429 waits Retry-After and retries once."""
from sleuth_client import Client, main


class HeaderClient(Client):
    key_in = "header"
    wait_on_429 = True


main(HeaderClient)
