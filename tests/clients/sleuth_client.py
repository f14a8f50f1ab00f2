"""A conformant command-line client for Sleuth's register_impact endpoint.

Not run directly: conformant_header.py and conformant_body.py use it as it is, and
every faulty client in this directory subclasses it and overrides ONE method,
planting one fault that real clients have (see the research notes, section 1.5).

Usage:  <client>.py --value=<V> [--date=<D>] [--key-file=<PATH>]
Env:    SLEUTH_BASE_URL, SLEUTH_API_KEY, SLEUTH_IMPACT_ID
Exit:   0 registered, 1 not registered, 2 usage.
--key-file writes the API key there (tests use it to check the harness never prints it).
"""

import json
import math
import os
import sys
import time
import urllib.error
import urllib.request


class Client:
    # Where the key goes: "header" (Authorization: apikey <KEY>) or "body" (api_key).
    key_in = "header"
    # On 429: False gives up (exit 1); True waits Retry-After and tries once more.
    wait_on_429 = False

    def __init__(self, argv):
        self.value = None
        self.date = None
        for arg in argv:
            if arg.startswith("--value="):
                self.value = float(arg[len("--value="):])  # accepts NaN, inf, -inf
            elif arg.startswith("--date="):
                self.date = arg[len("--date="):].strip() or None  # blank means none
            elif arg.startswith("--key-file="):
                with open(arg[len("--key-file="):], "w") as f:
                    f.write(os.environ["SLEUTH_API_KEY"])
            else:
                sys.exit(f"unknown argument {arg!r}")
        if self.value is None:
            sys.exit("usage: --value=<V> [--date=<D>]")
        self.base = os.environ["SLEUTH_BASE_URL"]
        self.key = os.environ["SLEUTH_API_KEY"]
        self.impact_id = os.environ["SLEUTH_IMPACT_ID"]

    # -- what is sent ---------------------------------------------------------

    def refuses(self, value):
        """JSON has no NaN or infinity: refuse before sending anything."""
        return not math.isfinite(value)

    def method(self):
        return "POST"

    def url(self):
        return f"{self.base}/api/1/impact/{self.impact_id}/register_impact"

    def content_type(self):
        return "application/json"

    def headers(self):
        h = {"Content-Type": self.content_type()}
        if self.key_in == "header":
            h["Authorization"] = f"apikey {self.key}"
        return h

    def encode_value(self, value):
        # json.dumps writes float.__repr__: the shortest text that reads back as
        # the same double (-0.0 included).
        return value

    def encode_date(self, date):
        # Passed on as given: same instant, same offset, same fraction.
        return date

    def fields(self):
        f = {"value": self.encode_value(self.value)}
        if self.date is not None:
            f["date"] = self.encode_date(self.date)
        if self.key_in == "body":
            f["api_key"] = self.key
        return f

    def body(self):
        return json.dumps(self.fields()).encode()

    # -- how it reacts ---------------------------------------------------------

    def send(self):
        req = urllib.request.Request(self.url(), data=self.body(), headers=self.headers(), method=self.method())
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode(errors="replace")

    def retry_delay(self, status, headers, sent):
        """Seconds to wait before sending again (after `sent` requests), or None to stop."""
        if status == 429 and self.wait_on_429 and sent == 1:
            after = (headers.get("Retry-After") or "").strip()
            if after.isdigit():
                return int(after)
        return None

    def exit_code(self, status):
        return 0 if status == 200 else 1

    def run(self):
        if self.refuses(self.value):
            print(f"refusing to send value {self.value}", file=sys.stderr)
            return 1
        sent = 0
        while True:
            status, headers, text = self.send()
            sent += 1
            delay = self.retry_delay(status, headers, sent)
            if delay is None:
                break
            time.sleep(delay)
        code = self.exit_code(status)
        print(f"{status} {text}", file=sys.stderr if code else sys.stdout)
        return code


def main(cls):
    sys.exit(cls(sys.argv[1:]).run())
