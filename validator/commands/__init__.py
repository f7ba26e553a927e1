"""What each CLI command does, as functions a Python user can call: the library API the CLI and the tests call, one
module a command (or a few small ones). Every command returns what it made or found (`ValidateResult`,
`TestResult`, the chain's `ManyReport`, ...) and prints nothing but a run's progress lines on the console its
options name; validator.cli prints the result in the chosen format, writes the report files and picks the exit code
(0 ok, 1 findings or failures, 2 usage).

    validate.py     `medcube validate`: static checks, then build and smoke run in the benchmark chain
    test.py         `medcube test`: the chain on demo data with the probes
    submissions.py  `medcube test` with many models or metrics cubes, and `medcube merge-reports`
    files.py        `convert`, `schema`, `package`, `package-demo`, `verify-package`
    common.py       what they share: loading, gating and report options, the HTML report of a run
    session.py      the front half of every run: the static gate, the cubes loaded, the demo data; one refusal

Nothing is imported here, so that a command loads only what it needs.
"""
