"""The benchmark chain, as `medperf test run` runs it: the benchmark profile, its demo data, the run folder, the
chain of tasks, the output contracts and the probes.

    benchmark.py   benchmark.yaml -> Benchmark (cubes, demo data, output contracts)
    demo_data.py   demo data: a folder holding paths.yaml or a tarball, checked and extracted safely
    rundir.py      the run folder the tasks hand their outputs through
    options.py     RunOptions: how one chain run is made
    run.py         run_chain: build, then prepare -> sanity_check -> statistics -> infer -> evaluate
    outputs.py     the output contracts (MC7xx) checked after each task
    result.py      RunReport: what a chain run gives
    probes/        what `medcube test` tries beyond the plain chain (MC8xx)
"""
