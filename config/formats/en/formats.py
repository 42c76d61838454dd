"""Dates as every page writes them: "31 Mar 2027" (and "31 Mar 2027 14:05" with the time),
never a second way. Django's own English formats ("March 31, 2027") are replaced here, so
that ``{{ value|date }}`` and an unfiltered date both read like the rest of the pages."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
