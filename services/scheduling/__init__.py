"""scheduling: school years and terms, classes and class teachers, class lists (enrolment,
transfer, removal), subjects and teaching assignments, the timetable and its aSc import, lessons
and topics, substitutions, the calendar with test limits, trip cards. See README.md."""
