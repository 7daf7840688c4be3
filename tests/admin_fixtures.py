"""Text fixtures for the administrators' tests: holiday notices in the State Council's wording.

NOTICE_2026 and NOTICE_2025 carry the published dates of those years (the deadline engine has them
built in, so what the parser reads can be compared day by day). `notice_for(year)` writes a notice of
the same shape for any year, with the weekdays of that year: the dates are made up, for a year whose
schedule the system does not have.
"""

from datetime import date, timedelta

WEEKDAYS = "一二三四五六日"

NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。
国务院办公厅
2025年11月4日
"""

NOTICE_2025 = """一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
"""


def _w(day: date) -> str:
    return f"周{WEEKDAYS[day.weekday()]}"


def _saturday_after(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return day


def _sunday_before(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day


def notice_for(year: int) -> tuple[str, dict[date, bool]]:
    """A notice for `year` (made-up dates, true weekdays) and the days it lists (True: 上班)."""
    jan1, may1, may5, oct1, oct7 = (date(year, m, d) for m, d in ((1, 1), (5, 1), (5, 5), (10, 1), (10, 7)))
    may_work, oct_work1, oct_work2 = _saturday_after(may5), _sunday_before(oct1), _saturday_after(oct7)
    text = (
        f"国务院办公厅关于{year}年部分节假日安排的通知\n"
        f"经国务院批准，现将{year}年元旦、劳动节和国庆节放假调休日期的具体安排通知如下。\n"
        f"一、元旦：1月1日（{_w(jan1)}）放假1天，不调休。\n"
        f"二、劳动节：5月1日（{_w(may1)}）至5日（{_w(may5)}）放假调休，共5天。"
        f"{may_work.month}月{may_work.day}日（{_w(may_work)}）上班。\n"
        f"三、国庆节：10月1日（{_w(oct1)}）至7日（{_w(oct7)}）放假调休，共7天。"
        f"{oct_work1.month}月{oct_work1.day}日（{_w(oct_work1)}）、"
        f"{oct_work2.month}月{oct_work2.day}日（{_w(oct_work2)}）上班。\n"
        "国务院办公厅\n"
    )
    days = {jan1: False}
    for first, n in ((may1, 5), (oct1, 7)):
        days.update({first + timedelta(days=i): False for i in range(n)})
    days.update({may_work: True, oct_work1: True, oct_work2: True})
    return text, days
