# Django's English DATETIME_FORMAT ends in "a.m."/"p.m.": a sentence ending with a time then
# shows two periods ("on Nov. 22, 2026, 7:07 a.m.."). A 24-hour clock, as clinicians write it.
DATETIME_FORMAT = "N j, Y, H:i"
