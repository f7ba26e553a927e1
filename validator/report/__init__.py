"""Findings and chain runs for people and tools, one module a format.

    console.py      the consoles, and a user error as one message
    text.py         tables for a terminal (static findings, the chain run with its metrics)
    json_report.py  JSON (`validate --format json`, `test --report`)
    junit.py        JUnit XML (`test --junit`)
    html.py         one self-contained page for people (`test --html`, `validate --html`), drawn by
                    templates/report.html.j2 from charts.py (ROC curves, bar and timeline geometry) and
                    runfiles.py (what cubes left in the run folder, read defensively)
"""
