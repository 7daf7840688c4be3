"""Error pages in Chinese, whoever raised the error.

The product raises Http404 with a message for people ("没有找到该事项……"); Django raises it with
English ones ("No Matter matches the given query." from get_object_or_404, or the resolver's
report when no route matches). Those give way to the page's general message.
"""

import re

from django.http import Http404
from django.views import defaults

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def not_found(request, exception, template_name="404.html"):
    message = exception.args[0] if exception.args and isinstance(exception.args[0], str) else ""
    shown = Http404(message if CHINESE.search(message) else "")
    return defaults.page_not_found(request, shown, template_name=template_name)
