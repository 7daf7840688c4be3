from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import hotline


@db_periodic_task(crontab(minute="*"))
def sync_hotline():
    """12345: messages for new events of hotline matters, and the sends that are due."""
    hotline.collect()
    hotline.deliver_due()
