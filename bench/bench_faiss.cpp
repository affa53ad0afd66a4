/* bench_faiss.cpp -- the exact scan of libmaso_search next to FAISS's
 * IndexBinaryFlat, on the same bytes, held to the measured memory bandwidth.
 *
 * C++ only because FAISS is; the product stays C.  Built when Debian's
 * libfaiss-dev is installed (scripts/bench-packages.txt).
 *
 * usage: bench_faiss [records] [queries]     (default 1000000 and 20)
 *
 * The records are the synthetic SqueezeNet-shaped sketches of bench_search
 * (synth_codes.h), written once into the FAISS index's own code array;
 * libmaso_search reads that same array as one segment, so nothing is held
 * twice.  Measured:
 *  - memory read bandwidth: a streaming read of a 1 GB buffer, 1 and 2
 *    threads (membw.h);
 *  - FAISS IndexBinaryFlat::search, d = record bytes * 8 bits, plain
 *    Hamming over the whole record, omp_set_num_threads(1), (2); queries go
 *    in pairs, one call per pair, so OpenMP gives each thread a query (FAISS
 *    parallelises over queries, not codes);
 *  - maso exact scan (candidates = 0) per query, 1 and 2 threads, right
 *    after FAISS's call on the same pair (the load of a shared machine
 *    drifts: interleaving keeps the ratios fair), with the
 *    real 29-layer weighted distance, and with a one-layer layout over the
 *    whole record (uniform weight: normalised plain Hamming, the very
 *    distance FAISS computes: results are cross-checked against FAISS's);
 *  - maso default coarse query (512-bit summaries, the default candidates),
 *    recall@10 against the exact scan.
 * "codes/s" counts query-record comparisons; GB/s is the bytes of codes
 * compared per second (records * record bytes / time), so both engines are
 * measured by the same yardstick whatever their loop structure.
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <faiss/IndexBinaryFlat.h>

#include "maso_search.h"
#include "membw.h"
#include "synth_codes.h"

namespace {

constexpr size_t K = 10;
using faiss_idx = faiss::IndexBinary::idx_t; /* 1.7.3 has no faiss::idx_t */

double now()
{
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch())
        .count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One line of the result table. */
struct row {
    std::string what;
    int threads;
    double sec_per_query;   /* latency (FAISS: batch time / queries) */
    double codes_per_sec;   /* query-record comparisons per second */
    double gbs;             /* bytes of codes read per second */
    bool scan;              /* a full scan: compare with bandwidth, FAISS */
    double cpu_per_query;   /* CPU seconds of all threads per query */
};

/* CPU time of the whole process (all threads): a yardstick that the other
 * programs on a shared machine do not stretch the way they stretch wall
 * time (memory stalls still count, a descheduled thread does not). */
double cpu_now()
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* One query; returns its latency, adds its CPU time to @p cpu; its hits
 * (K) go to @p hits. */
double time_query(maso_search *s, const maso_search_segment *seg,
                  const uint8_t *query, const maso_search_params *p,
                  maso_search_hit *hits, std::vector<double> &cpu)
{
    size_t nh = 0;
    double c0 = cpu_now(), t0 = now();
    int rc = maso_search_query(s, seg, 1, query, nullptr, p, hits, &nh);
    double t = now() - t0;
    cpu.push_back(cpu_now() - c0);
    if (rc) {
        fprintf(stderr, "bench_faiss: query: %s\n", maso_search_errmsg(s));
        exit(1);
    }
    return t;
}

/* FAISS and the one-layer maso scan compute the same Hamming distance:
 * the sorted distances must be equal, and every id closer than the k-th
 * distance must be in both (ids at the k-th distance are a tie both may
 * break differently).  Returns the number of queries that disagree. */
size_t cross_check(const std::vector<int32_t> &fd,
                   const std::vector<faiss_idx> &fl,
                   const std::vector<maso_search_hit> &mh, size_t n_queries,
                   double bits)
{
    size_t bad = 0;
    for (size_t q = 0; q < n_queries; q++) {
        bool ok = true;
        for (size_t i = 0; i < K; i++)
            ok &= (int32_t)std::lround(mh[q * K + i].distance * bits) ==
                  fd[q * K + i];
        int32_t last = fd[q * K + K - 1];
        for (size_t i = 0; i < K; i++) {
            if (fd[q * K + i] == last)
                continue;
            bool found = false;
            for (size_t j = 0; j < K; j++)
                found |= (faiss_idx)mh[q * K + j].id == fl[q * K + i];
            ok &= found;
        }
        bad += !ok;
    }
    return bad;
}

/* Best of 10 streaming reads of a fresh buffer, 1 and 2 threads. */
int measure_bandwidth(size_t bytes, double bw[3])
{
    uint8_t *buf = membw_buffer_alloc(bytes);
    if (!buf) {
        fprintf(stderr, "bench_faiss: no memory for the bandwidth buffer\n");
        return -1;
    }
    for (int th = 1; th <= 2; th++)
        bw[th] = membw_read_gbs(buf, bytes, th, 10);
    membw_buffer_free(buf, bytes);
    return 0;
}

/* The scan's compute ceiling: records scored per second when they sit in
 * the L2 cache (64 records, 1 thread), in GB/s of records. */
double cached_score_gbs(const maso_search *s, const uint8_t *records,
                        size_t record_bytes, const uint8_t *query)
{
    const size_t n = 64, reps = 200;
    volatile double sink = 0;
    std::vector<double> t;
    for (int r = 0; r < 5; r++) {
        double t0 = now(), acc = 0;
        for (size_t k = 0; k < reps; k++)
            for (size_t i = 0; i < n; i++)
                acc += maso_search_distance(s, query,
                                            records + i * record_bytes);
        t.push_back(now() - t0);
        sink = sink + acc;
    }
    return (double)(n * reps * record_bytes) / median(t) / 1e9;
}

void print_loadavg(const char *when)
{
    char line[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            strcpy(line, "?\n");
        fclose(f);
    }
    printf("load average %s: %s", when, line);
}

} // namespace

int main(int argc, char **argv)
{
    /* After a parallel region libgomp's idle threads spin for a while
     * (OMP_WAIT_POLICY unset): the maso query that follows a FAISS call
     * would share the cores with them and look up to 2x slower on 2
     * threads.  The runtime reads the variable when it loads, hence the
     * re-exec; a value set by the caller is kept. */
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
        perror("bench_faiss: re-exec with OMP_WAIT_POLICY=passive");
    }
    size_t n = argc > 1 ? strtoull(argv[1], nullptr, 10) : 1000000;
    size_t n_queries = argc > 2 ? strtoull(argv[2], nullptr, 10) : 20;
    if (n < 1000 || n_queries < 2 || n_queries % 2) {
        fprintf(stderr, "usage: bench_faiss [records >= 1000] "
                        "[queries, even]\n");
        return 2;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0); /* progress of a long run */
    print_loadavg("at start");
    printf("OMP_WAIT_POLICY=%s\n", getenv("OMP_WAIT_POLICY"));
    synth_codes sc;
    if (synth_codes_load(&sc, MASO_SHARED_DIR) ||
        synth_codes_prepare(&sc, 4000))
        return 1;
    const size_t rb = sc.record_bytes;
    if (rb % 64) {
        fprintf(stderr, "bench_faiss: record of %zu bytes is not a stride\n",
                rb);
        return 1;
    }
    printf("# bench_faiss: %zu records of %zu bytes (%.2f GB), %zu queries, "
           "k = %zu\n\n", n, rb, (double)n * (double)rb / 1e9, n_queries, K);

    /* memory bandwidth: before the codes exist, and again after the scans
     * (the machine is shared; the faster of the two is the ceiling) */
    const size_t bw_bytes = (size_t)1 << 30;
    double bw[3] = { 0, 0, 0 }, bw_before[3] = { 0, 0, 0 };
    if (measure_bandwidth(bw_bytes, bw_before))
        return 1;
    printf("memory read bandwidth before (1 GB streaming read, best of 10): "
           "%.1f GB/s on 1 thread, %.1f GB/s on 2\n", bw_before[1],
           bw_before[2]);

    /* the codes, written once into FAISS's array: reserve (untouched
     * pages), advise huge pages on the run, then fill */
    faiss::IndexBinaryFlat index((faiss_idx)(rb * 8));
    double t0 = now();
    index.xb.reserve(n * rb);
    {
        uintptr_t a = ((uintptr_t)index.xb.data() + 4095) & ~(uintptr_t)4095;
        uintptr_t e = ((uintptr_t)index.xb.data() + n * rb) & ~(uintptr_t)4095;
        if (e > a)
            madvise((void *)a, e - a, MADV_HUGEPAGE);
    }
    index.xb.resize(n * rb);
    synth_codes_fill(&sc, index.xb.data(), rb, n);
    index.ntotal = (faiss_idx)n;
    std::vector<uint8_t> queries(n_queries * rb);
    for (size_t q = 0; q < n_queries; q++)
        synth_codes_query(&sc, &queries[q * rb]);
    printf("generated the codes in %.1f s\n", now() - t0);
    const maso_search_segment seg = { index.xb.data(), rb, n, nullptr,
                                      nullptr };
    const double scan_bytes = (double)n * (double)rb;
    std::vector<row> rows;

    /* (a) FAISS and (b) maso exact scans, interleaved: the machine is
     * shared and its load drifts over minutes, so each pair of queries is
     * run by FAISS (one call, OpenMP gives each thread a query) and right
     * after by maso (29 layers, then 1 layer), one query at a time; medians
     * of the per-query times of each engine are compared. */
    maso_search *s = nullptr, *flat = nullptr;
    if (maso_search_create(sc.layout, SYNTH_LAYERS, &s)) {
        fprintf(stderr, "bench_faiss: maso_search_create failed\n");
        return 1;
    }
    maso_code_layer whole = {};
    whole.name = "whole record";
    whole.kind = MASO_LAYER_RELU;
    whole.bits_per_unit = 1;
    whole.units = rb * 8;
    whole.offset = 0;
    whole.bytes = rb;
    if (maso_search_create(&whole, 1, &flat)) {
        fprintf(stderr, "bench_faiss: maso_search_create (flat) failed\n");
        return 1;
    }
    printf("maso kernels: %s\n", maso_search_kernels(s));
    maso_search_params p;
    maso_search_params_init(&p);
    p.k = K;
    std::vector<int32_t> fd(n_queries * K);
    std::vector<faiss_idx> fl(n_queries * K), fl1;
    std::vector<maso_search_hit> exact(n_queries * K), flat_hits(n_queries * K);
    maso_search *engines[2] = { s, flat };
    std::vector<maso_search_hit> *engine_hits[2] = { &exact, &flat_hits };
    const char *names[3] = { "FAISS IndexBinaryFlat (Hamming, whole record)",
                             "maso exact scan (29 layers, weighted distance)",
                             "maso exact scan (1 layer = FAISS's Hamming)" };
    /* FAISS's codes/s and CPU s per query, by thread count */
    double faiss_cps[3] = { 0, 0, 0 }, faiss_cpu[3] = { 0, 0, 0 };
    for (int th = 1; th <= 2; th++) {
        omp_set_num_threads(th);
        std::vector<double> lat[3], cpu[3];
        for (int e = 0; e < 2; e++)
            maso_search_set_threads(engines[e], th);
        for (size_t q = 0; q < n_queries; q += 2) {
            double c0 = cpu_now();
            t0 = now();
            index.search(2, &queries[q * rb], (faiss_idx)K, &fd[q * K],
                         &fl[q * K]);
            lat[0].push_back((now() - t0) / 2); /* 2 queries in parallel */
            cpu[0].push_back((cpu_now() - c0) / 2);
            for (int e = 0; e < 2; e++)
                for (size_t j = q; j < q + 2; j++)
                    lat[e + 1].push_back(time_query(
                        engines[e], &seg, &queries[j * rb], &p,
                        &(*engine_hits[e])[j * K], cpu[e + 1]));
        }
        faiss_cps[th] = (double)n / median(lat[0]);
        faiss_cpu[th] = median(cpu[0]);
        for (int e = 0; e < 3; e++) {
            double t = median(lat[e]);
            rows.push_back({ names[e], th, t, (double)n / t,
                             scan_bytes / t / 1e9, true, median(cpu[e]) });
        }
        printf("FAISS and maso exact, %d thread(s): done\n", th);
        if (th == 1)
            fl1 = fl;
    }
    size_t faiss_1v2 = 0;
    for (size_t i = 0; i < fl.size(); i++)
        faiss_1v2 += fl1[i] != fl[i];
    size_t bad = cross_check(fd, fl, flat_hits, n_queries, (double)(rb * 8));

    /* (c) default coarse query: 512-bit summaries, default candidates */
    size_t sb = maso_search_summary_bytes(s);
    std::vector<uint8_t> sums(n * sb);
    t0 = now();
#pragma omp parallel for num_threads(2) schedule(static)
    for (long long i = 0; i < (long long)n; i++)
        maso_search_summarize(s, index.xb.data() + (size_t)i * rb,
                              &sums[(size_t)i * sb]);
    printf("summaries: %.1f s for all records (2 threads)\n", now() - t0);
    maso_search_segment cseg = seg;
    cseg.summaries = sums.data();
    p.candidates = MASO_SEARCH_CANDIDATES_DEFAULT;
    size_t found = 0;
    for (int th = 1; th <= 2; th++) {
        maso_search_set_threads(s, th);
        std::vector<maso_search_hit> hits(n_queries * K);
        std::vector<double> lat, cpu;
        for (size_t q = 0; q < n_queries; q++)
            lat.push_back(time_query(s, &cseg, &queries[q * rb], &p,
                                     &hits[q * K], cpu));
        double t = median(lat);
        double read = (double)n * (double)sb +
                      (double)p.candidates * (double)rb;
        rows.push_back({ "maso default query (512-bit summaries + rerank " +
                             std::to_string(p.candidates) + ")",
                         th, t, (double)n / t, read / t / 1e9, false,
                         median(cpu) });
        if (th == 2)
            for (size_t q = 0; q < n_queries; q++)
                for (size_t i = 0; i < K; i++)
                    for (size_t j = 0; j < K; j++)
                        found += exact[q * K + i].id == hits[q * K + j].id;
    }

    double cached29 = cached_score_gbs(s, index.xb.data(), rb, queries.data());
    double cached1 = cached_score_gbs(flat, index.xb.data(), rb,
                                      queries.data());

    /* bandwidth again, the codes released first (the buffer needs room) */
    print_loadavg("after the scans");
    index.reset();
    index.xb.shrink_to_fit();
    double bw_after[3] = { 0, 0, 0 };
    if (measure_bandwidth(bw_bytes, bw_after))
        return 1;
    printf("memory read bandwidth after: %.1f GB/s on 1 thread, %.1f GB/s "
           "on 2\n", bw_after[1], bw_after[2]);
    for (int th = 1; th <= 2; th++)
        bw[th] = std::max(bw_before[th], bw_after[th]);

    /* the table: ratios against FAISS on the same thread count */
    printf("\n| search | threads | ms/query | Mcodes/s | GB/s | %% of "
           "measured bandwidth | vs FAISS | CPU ms/query | vs FAISS, CPU "
           "time |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const row &r : rows) {
        double fa = faiss_cps[r.threads];
        printf("| %s | %d | %.1f | %.2f | %.1f | %s%.0f%% | %.1fx | %.1f | "
               "%.1fx |\n", r.what.c_str(), r.threads, r.sec_per_query * 1e3,
               r.codes_per_sec / 1e6, r.gbs, r.scan ? "" : "(reads) ",
               100.0 * r.gbs / bw[r.threads], r.codes_per_sec / fa,
               r.cpu_per_query * 1e3, faiss_cpu[r.threads] / r.cpu_per_query);
    }
    printf("\nmemory bandwidth used for %%: %.1f GB/s (1 thread), %.1f GB/s "
           "(2 threads), the better of the two measurements; a full scan reads %.2f GB, so it cannot take less "
           "than %.0f ms on 2 threads\n", bw[1], bw[2], scan_bytes / 1e9,
           scan_bytes / (bw[2] * 1e9) * 1e3);
    printf("compute ceiling of the exact scan (64 records in cache, 1 "
           "thread): %.1f GB/s with 29 layers, %.1f GB/s with 1 layer\n",
           cached29, cached1);
    printf("FAISS's ms/query is the time of a call on a pair of queries / "
           "2 (with 2 threads each query takes the whole time, one per "
           "thread)\n");
    printf("CPU time: of all the process's threads, per query (FAISS: a "
           "pair's / 2); the ratio compares CPU seconds per code, which the "
           "other programs of a shared machine disturb less than wall time\n");
    printf("coarse rows: Mcodes/s counts every record as covered; GB/s is "
           "what the query reads (summaries + reranked codes)\n");
    printf("cross-check, 1-layer maso vs FAISS top-%zu: %zu of %zu queries "
           "differ (FAISS 1 vs 2 threads: %zu ids differ)\n", K, bad,
           n_queries, faiss_1v2);
    printf("coarse recall@%zu against the exact scan: %.4f\n", K,
           (double)found / (double)(K * n_queries));
    maso_search_destroy(s);
    maso_search_destroy(flat);
    synth_codes_free(&sc);
    return bad ? 1 : 0;
}
