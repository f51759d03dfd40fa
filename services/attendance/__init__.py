"""attendance: the school's attendance categories and percentage formula, one entry per lesson
and student with its versions, justifications by the class teacher, parents' e-justifications,
the weekly review with double entries, percentages and statistics (ATT-1..6). See README.md."""
