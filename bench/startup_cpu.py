#!/usr/bin/env python3
"""startup_cpu.py -- what every maso-index and maso-query process pays before
its first image, as CPU of the whole process (user + system of the child,
from wait4), side by side with a second build (BASE_BUILD, e.g. the commit
before a change).  The commands alternate run by run (the machine is shared
and noisy) and the median of ROUNDS runs is printed, with the ratio.

  maso-index / maso-query / maso-eval --help
                                    dynamic linking and program start only
  maso-index on an empty folder     + model load, a new store, its sketch
  maso-index, one photo, new store  + one photo coded (default: 4 passes)
  maso-index, rerun on that store   + the store opened, nothing to do
  maso-query PHOTO on a store of 8  a query's latency (8 orientations)
  maso-query --indexed              no model: the store and a search
  empty main linked with -lmpi      what linking Open MPI costs a process
  with SETS_DIR (bench/make_sizes.sh): maso-index -j 1 on its 36 800-px
  JPEGs, int8 --no-orient and default, CPU per photo of the whole command

The environment is passed as it is: a base build from before OpenBLAS was
removed (fc639c1 and older) pays the spinning of OpenBLAS's worker thread
in every process unless the caller sets OPENBLAS_NUM_THREADS=1.

usage: bench/startup_cpu.py BUILD_DIR [BASE_BUILD_DIR] [ROUNDS] [SETS_DIR]
       (ROUNDS 21)
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(TOP), "shared")


def cpu_ms(argv, env):
    """User + system milliseconds of one run of argv (any exit status but
    a crash).  posix_spawn (vfork-like) adds nothing of Python's to the
    child's times, as a fork of this process would."""
    devnull = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        sys.exit(f"startup_cpu.py: {' '.join(argv)}: status {code}")
    return (usage.ru_utime + usage.ru_stime) * 1e3


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    builds = {"this": sys.argv[1]}
    if len(sys.argv) > 2 and sys.argv[2]:
        builds["base"] = sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 21
    sets = sys.argv[4] if len(sys.argv) > 4 else None
    env = dict(os.environ)
    blas = " OPENBLAS_NUM_THREADS=" + env["OPENBLAS_NUM_THREADS"] if "OPENBLAS_NUM_THREADS" in env else ""
    work = tempfile.mkdtemp(prefix="startup_cpu.")
    try:
        photos = sorted(os.path.join(SHARED, "images", "kodak", f)
                        for f in os.listdir(os.path.join(SHARED, "images", "kodak"))
                        if f.endswith(".png"))
        os.makedirs(os.path.join(work, "empty"))
        os.makedirs(os.path.join(work, "eight"))
        for p in photos[:8]:
            shutil.copy(p, os.path.join(work, "eight"))
        one = os.path.join(work, "eight", os.path.basename(photos[0]))
        query = photos[8]
        stores = {}
        for name, build in builds.items():
            index = os.path.join(build, "indexer", "maso-index")
            stores[name] = os.path.join(work, name + ".maso")
            subprocess.run([index, "-q", stores[name], os.path.join(work, "eight")],
                           env=env, check=True)
        # an empty main with and without Open MPI
        cc = shutil.which("cc")
        mpi_cflags = subprocess.run(["pkg-config", "--libs", "ompi-c"],
                                    capture_output=True, text=True).stdout.split()
        empty = os.path.join(work, "empty.c")
        with open(empty, "w") as f:
            f.write("int main(void) { return 0; }\n")
        mains = {}
        if cc and mpi_cflags:
            for name, libs in (("none", []), ("mpi", mpi_cflags)):
                out = os.path.join(work, "main-" + name)
                subprocess.run([cc, "-O2", empty, "-o", out, "-Wl,--no-as-needed"] + libs,
                               check=True)
                mains[name] = out

        cases = []
        for name, build in builds.items():
            index = os.path.join(build, "indexer", "maso-index")
            qry = os.path.join(build, "query", "maso-query")
            fresh = os.path.join(work, name + ".fresh")
            cases += [
                ("maso-index --help", name, lambda i=index: [i, "--help"], None),
                ("maso-query --help", name, lambda q=qry: [q, "--help"], None),
                ("maso-eval --help", name,
                 lambda e=os.path.join(build, "eval", "maso-eval"): [e, "--help"], None),
                ("maso-index on an empty folder (new store)", name,
                 lambda i=index, d=fresh: [i, "-q", "-j", "1", d, os.path.join(work, "empty")], fresh),
                ("maso-index, one photo (new store, default)", name,
                 lambda i=index, d=fresh: [i, "-q", "-j", "1", d, one], fresh),
                ("maso-index, one photo (new store, int8 --no-orient)", name,
                 lambda i=index, d=fresh: [i, "-q", "-j", "1", "--precision", "int8", "--no-orient", d, one], fresh),
                ("maso-index, rerun on a store of 8 (nothing to do)", name,
                 lambda i=index, d=stores[name]: [i, "-q", "-j", "1", d, os.path.join(work, "eight")], None),
                ("maso-query PHOTO, store of 8 (8 orientations, 1 thread)", name,
                 lambda q=qry, d=stores[name]: [q, "--threads", "1", d, query], None),
                ("maso-query --indexed, store of 8", name,
                 lambda q=qry, d=stores[name]: [q, "--threads", "1", "--indexed", d, one], None),
            ]
        if sets:
            small = sorted(os.path.join(sets, "800", f)
                           for f in os.listdir(os.path.join(sets, "800")) if f.endswith(".jpg"))
            for name, build in builds.items():
                index = os.path.join(build, "indexer", "maso-index")
                fresh = os.path.join(work, name + ".fresh")
                for label, opts in (("int8 --no-orient", ["--precision", "int8", "--no-orient"]),
                                    ("default", [])):
                    cases.append((f"maso-index -j 1, {len(small)} 800-px JPEGs, {label}: "
                                  "per photo", name,
                                  lambda i=index, d=fresh, o=opts: [i, "-q", "-j", "1"] + o + [d] + small,
                                  fresh))
        for name, exe in mains.items():
            cases.append(("empty main, linked with " + ("-lmpi" if name == "mpi" else "nothing"),
                          "this", lambda e=exe: [e], None))

        times = {(c[0], c[1]): [] for c in cases}
        for _ in range(rounds):
            for label, name, argv, scratch in cases:
                if scratch:
                    shutil.rmtree(scratch, ignore_errors=True)
                times[(label, name)].append(cpu_ms(argv(), env))

        labels = list(dict.fromkeys(c[0] for c in cases))
        if "base" in builds:
            print(f"| CPU ms per process (median of {rounds}{blas}) | base | this | this / base |")
            print("| --- | ---: | ---: | ---: |")
        else:
            print(f"| CPU ms per process (median of {rounds}{blas}) | this |")
            print("| --- | ---: |")
        for label in labels:
            per = len(small) if sets and "per photo" in label else 1
            for key in times:
                if key[0] == label and per > 1:
                    times[key] = [t / per for t in times[key]]
            this = statistics.median(times[(label, "this")])
            if "base" in builds and (label, "base") in times:
                base = statistics.median(times[(label, "base")])
                print(f"| {label} | {base:.1f} | {this:.1f} | {this / base:.2f} |")
            elif "base" in builds:
                print(f"| {label} | | {this:.1f} | |")
            else:
                print(f"| {label} | {this:.1f} |")
        for name, build in builds.items():
            ldd = subprocess.run(["ldd", os.path.join(build, "indexer", "maso-index")],
                                 capture_output=True, text=True).stdout
            print(f"shared libraries of maso-index ({name}): {len(ldd.splitlines())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
