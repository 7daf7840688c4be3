"""Loaded by Python only in the test runs on other days (scripts/test.sh puts this folder on
PYTHONPATH under libfaketime, so the servers and workers the tests start load it too).

There the wall clock is moved and the monotonic clock left real (FAKETIME_DONT_FAKE_MONOTONIC=1,
or every wait with a deadline would last the length of the offset). libfaketime 0.9.10 then
refuses the absolute monotonic sleep that time.sleep asks for (EINVAL); select() waits for a
relative time and is not affected, so time.sleep waits with it.
"""

import select
import time


def _sleep(seconds):
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
