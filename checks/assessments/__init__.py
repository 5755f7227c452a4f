"""The assessments shipped with the grader: each folder here is one, found by walking this folder."""
