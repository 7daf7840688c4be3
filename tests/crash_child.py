"""The process that tests/test_crash_safety.py kills. Run as a script, or imported by a Huey
consumer for its notification backend.

    python tests/crash_child.py transitions   # move every 交办 matter through 受理 → 答复 → 审签

Each committed step prints one line, so the test knows work is under way before it kills.
"""

import os
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

NOW = datetime(2025, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
REPLY = {
    "outcome": "support",
    "resolution": "solved",
    "text": "经调查，物业公司调价未经业主大会表决，责令其恢复原标准。",
    "basis": "《物业管理条例》第七条",
}


class SlowFileBackend:
    """Notification backend for the worker test: appends the row's id to a file, then takes a while,
    so that a kill lands while a worker is between sending and recording."""

    def send(self, notification):
        with open(os.environ["CRASH_SENT_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{notification.pk}\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(float(os.environ.get("CRASH_SEND_SECONDS", "0.05")))


def transitions():
    from xinfang.org.models import User
    from xinfang.petitions.choices import Status
    from xinfang.petitions.models import Matter
    from xinfang.petitions.services import perform

    hank, hope = User.objects.get(username="hank"), User.objects.get(username="hope")
    plan = [
        (Status.DISPATCHED, "accept", hank, {}),
        (Status.HANDLING, "submit_reply", hank, REPLY),
        (Status.REPLY_PENDING, "approve_reply", hope, {}),
    ]
    for status, action, actor, params in plan:
        for pk in Matter.objects.filter(status=status).order_by("pk").values_list("pk", flat=True):
            perform(pk, actor, action, now=NOW, note="批量办理", **params)
            print(f"{action} {pk}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
    import django

    django.setup()
    {"transitions": transitions}[sys.argv[1]]()
