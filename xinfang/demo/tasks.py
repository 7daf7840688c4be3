"""What the demo needs beyond its records, prepared by the worker once the server is up (so that
the first page is seen within a minute): suggestion models trained on the generated history, the
similar-matter index, the dashboard's column store and the early warnings of the history. Until
then the pages say that these are still being prepared."""

import logging

from huey.contrib.djhuey import db_task

log = logging.getLogger("xinfang.demo")


@db_task()
def prepare_extras():
    from xinfang.analytics import snapshot, warnings
    from xinfang.assist import similar_matters, training

    for kind in training.Kind.values:
        try:
            version = training.train(kind, by="演示数据")
        except training.TrainingError as exc:
            log.warning("演示数据：%s", exc)
        else:
            log.info("演示数据：已训练%s（%s）", version, version.get_source_display())
    similar_matters.save_snapshot()
    built = snapshot.refresh()
    raised = warnings.scan()
    log.info("演示数据：统计分析数据已生成（%s件），预警%s条", built["matters"], len(raised))
