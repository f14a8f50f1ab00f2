"""Conformant: key in the body (api_key), as sleuth-action does; gives up on 429."""
from sleuth_client import Client, main


class BodyClient(Client):
    key_in = "body"
    wait_on_429 = False


main(BodyClient)
