# Albanian day.month.year with a 24-hour clock; Django's own short date-time is American.
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
