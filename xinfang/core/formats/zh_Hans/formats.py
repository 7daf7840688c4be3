"""How dates are typed into the product's forms, the ways staff and citizens write them.

Every date field accepts 2026年12月7日 (the form the product shows), 2026-12-07, 2026/12/7,
2026.12.7 and 20261207; months and days with or without a leading zero (strptime reads both).
Django's own zh_Hans list has "%Y年%n月%j日", which strptime reads as whitespace and a day of the year,
so a date written as the pages show it would be refused.
"""

DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
FIRST_DAY_OF_WEEK = 1

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"]
DATETIME_INPUT_FORMATS = [
    f"{day} {time}" for day in DATE_INPUT_FORMATS[:4] for time in ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f")
]
