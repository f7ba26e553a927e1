"""Findings and chain runs for people and tools, one module a format.

    console.py      the consoles, and a user error as one message
    text.py         tables for a terminal (static findings, the chain run with its metrics)
    json_report.py  JSON (`validate --format json`, `test --report`)
    junit.py        JUnit XML (`test --junit`)
"""
