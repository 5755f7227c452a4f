"""The grader: sources of accounts, a roster turned into outcomes, one student's checks run at once,
and the evidence a grade rests on."""
