"""scheduling: school years, classes and class teachers, class lists (enrolment, transfer,
removal), and later subjects, timetable, lessons and substitutions. See README.md."""
