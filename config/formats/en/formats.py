"""English dates and times as Europe writes them (the product's readers are European): the
day before the month and a 24-hour clock, "6 May 2031, 09:30", where Django's own English
says "May 6, 2031, 9:30 a.m.". Other formats are Django's."""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
# Dense tables: numbers, day first (Django's English would be month first).
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
