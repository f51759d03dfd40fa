"""grades: partial, predicted, mid-year, annual and behaviour grades; the school's scale,
categories and weights; corrections with reasons and full history; acceptance of final grades;
at-risk flags and notices; weighted averages, statistics and printouts (GRD-1..8). See README.md."""
