"""A benchmark registered on a MedPerf server, tested here before a cube is submitted to it.

settings:   which server, which certificate, which token (MEDPERF_TOKEN or MedPerf's own stored login, read-only)
client:     the few GET endpoints of MedPerf's REST API medcube reads (benchmarks, mlcubes, models), over HTTPS
download:   files a registered entity names (demo data, additional files): bounded, resumable, cached by sha256
profile:    a registered benchmark turned into a medcube benchmark folder (benchmark.yaml and config-only cubes)
images:     the registered images pulled and checked against their registered digests (`--pull`)
submission: a passed check remembered, and the MedPerf commands that submit the cube and associate it

Nothing here runs a cube: the chain (validator.chain) runs the folder `profile` writes, like any benchmark folder.
The token is held by settings.Server only; it is sent to the MedPerf server's API and nowhere else (not to the file
hosts), and it is never printed or written.
"""
