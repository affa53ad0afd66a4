/* threads.c -- fork/join of a query's workers.
 *
 * Threads are created per call: a scan of a large store takes tens of
 * milliseconds, next to which thread creation (~20 us) is noise, and a
 * library without a pool has no state to shut down.
 */
#include <pthread.h>

#include "search_internal.h"

void search_run_threads(int n, void *(*fn)(void *), void *args,
                       size_t arg_size)
{
    pthread_t tid[256];
    int started = 0;
    char *base = args;
    for (int i = 1; i < n; i++) {
        if (pthread_create(&tid[i], NULL, fn, base + (size_t)i * arg_size))
            break;
        started = i;
    }
    /* the caller's thread does part 0, and on a failed create also the
     * parts that got no thread, so the result stays complete */
    fn(base);
    for (int i = started + 1; i < n; i++)
        fn(base + (size_t)i * arg_size);
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
}
